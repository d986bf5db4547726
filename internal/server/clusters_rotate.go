package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/capstan-cd/capstan/internal/clusterauth"
)

// rotateClusterAuth gives the ServiceAccount whose token a cluster Secret
// holds a new token, checks it, stores it in the Secret, and then revokes
// the old token by deleting its token Secret, as Argo CD's rotate-auth.
// Until the new token is stored the old one stays valid, so a failure on
// the way leaves the cluster reachable.
func (a *API) rotateClusterAuth(w http.ResponseWriter, r *http.Request) {
	e, ok := a.loadCluster(w, r, "update")
	if !ok {
		return
	}
	if e.secret == nil {
		writeError(w, http.StatusBadRequest, "the in-cluster destination has no cluster Secret, so no token to rotate")
		return
	}
	server := e.view.Server
	cfg, err := clusterConfig(e)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if cfg.BearerToken == "" {
		writeError(w, http.StatusBadRequest, "cluster %s does not authenticate with a bearer token: nothing to rotate", server)
		return
	}
	old, err := clusterauth.ParseToken(cfg.BearerToken)
	if err != nil {
		writeError(w, http.StatusBadRequest, "cluster %s: %v", server, err)
		return
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "cluster %s: %v", server, err)
		return
	}
	ctx := r.Context()
	next, token, err := old.Issue(ctx, cs)
	if err != nil {
		writeError(w, http.StatusBadGateway, "cluster %s: %v", server, err)
		return
	}
	if err := checkToken(ctx, cfg, token); err != nil {
		writeError(w, http.StatusBadGateway, "cluster %s: the new token of Secret %s does not work: %v", server, next, errors.Join(err, next.Revoke(ctx, cs)))
		return
	}
	updated, err := a.storeToken(ctx, e.secret, token)
	if err != nil {
		writeKubeError(w, errors.Join(err, next.Revoke(ctx, cs)), "store the new token in cluster Secret %s", e.secret.Name)
		return
	}
	if err := old.Revoke(ctx, cs); err != nil {
		writeError(w, http.StatusBadGateway, "cluster %s: the new token is stored, but the old one still works: %v", server, err)
		return
	}
	v, err := clusterFromSecret(updated)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	rotated := &clusterEntry{view: v, secret: updated}
	a.fillClusterInfo(ctx, []*clusterEntry{rotated})
	writeJSON(w, http.StatusOK, rotated.view)
}

// clusterConfig reaches the cluster of e with its Secret's config alone,
// never with the server's own credentials for the in-cluster server: a
// token that is not the Secret's is not rotate-auth's to revoke.
func clusterConfig(e *clusterEntry) (*rest.Config, error) {
	c, err := (&Backends{}).clusterOf(e)
	if err != nil {
		return nil, err
	}
	return c.Config, nil
}

// checkToken asks the cluster for its version with token alone: a token
// the cluster does not accept is refused (401) even where anyone may read
// the version.
func checkToken(ctx context.Context, cfg *rest.Config, token string) error {
	c := rest.AnonymousClientConfig(cfg)
	c.BearerToken = token
	cs, err := kubernetes.NewForConfig(c)
	if err != nil {
		return err
	}
	return cs.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Error()
}

// storeToken writes token as the bearer token of the cluster Secret s,
// dropping a client certificate: Argo CD's rotate-auth leaves the token
// as the one credential too.
func (a *API) storeToken(ctx context.Context, s *corev1.Secret, token string) (*corev1.Secret, error) {
	cfg := map[string]any{}
	if raw, ok := secretValue(s, "config"); ok {
		if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
			return nil, fmt.Errorf("cluster Secret %s: key config is not valid JSON: %w", s.Name, err)
		}
	}
	cfg["bearerToken"] = token
	removePath(cfg, []string{"tlsClientConfig", "certData"})
	removePath(cfg, []string{"tlsClientConfig", "keyData"})
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	out := s.DeepCopy()
	data := stringData(out)
	data["config"] = string(raw)
	out.Data, out.StringData = byteData(data), nil
	if err := a.Client.Update(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}
