package server

import (
	"context"
	"maps"
	"net/http"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/source"
)

// Secrets the API creates carry this annotation, as Argo CD's do; only
// those may be deleted through the API.
const (
	annotationManagedBy = "managed-by"
	managedByValue      = "argocd.argoproj.io"
)

// secretKind is what differs between repositories and repo-creds.
type secretKind struct {
	typ    string // the secret-type label
	prefix string // of the Secret names the API makes
	urlKey string // the JSON name of the url
}

var (
	repositoryKind = secretKind{typ: v1alpha1.SecretTypeRepository, prefix: "repo", urlKey: "repo"}
	repoCredsKind  = secretKind{typ: v1alpha1.SecretTypeRepoCreds, prefix: "creds", urlKey: "url"}
)

// secretRequest is a create or update of a repository or repo-creds: the
// body's keys as Secret data, checked against RBAC.
func (a *API) secretRequest(w http.ResponseWriter, r *http.Request, k secretKind, action string) (map[string]string, bool) {
	var body map[string]any
	if !readJSON(w, r, &body) {
		return nil, false
	}
	data, err := secretData(body, k.urlKey)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return nil, false
	}
	if k.typ == v1alpha1.SecretTypeRepository && data["type"] == "" {
		data["type"] = "git"
	}
	if !a.allowed(w, r, "repositories", action, repoObject(data["project"], data["url"])) {
		return nil, false
	}
	return data, true
}

// exact is the Secret of secrets with url and project both equal.
func exact(secrets []corev1.Secret, url, project string) *corev1.Secret {
	s := findSecret(secrets, url, project)
	if s == nil {
		return nil
	}
	if p, _ := secretValue(s, "project"); p != project {
		return nil
	}
	return s
}

// createSecret writes a new Secret of kind k with data, or answers the one with
// the same url and project: as it is when it says the same, updated with
// upsert, refused otherwise. It returns the Secret written.
func (a *API) createSecret(w http.ResponseWriter, r *http.Request, k secretKind, data map[string]string) (*corev1.Secret, bool) {
	secrets, err := a.typedSecrets(r.Context(), k.typ)
	if err != nil {
		writeKubeError(w, err, "list %s Secrets", k.typ)
		return nil, false
	}
	if cur := exact(secrets, data["url"], data["project"]); cur != nil {
		if maps.Equal(stringData(cur), data) {
			return cur, true
		}
		if upsert, _ := strconv.ParseBool(r.URL.Query().Get("upsert")); !upsert {
			writeError(w, http.StatusBadRequest, "existing %s spec is different; use upsert flag to force update", k.typ)
			return nil, false
		}
		if !a.allowed(w, r, "repositories", "update", repoObject(data["project"], data["url"])) {
			return nil, false
		}
		return a.replaceData(w, r, cur, data)
	}
	id := data["url"]
	if data["project"] != "" {
		id = data["project"] + "/" + id
	}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   a.Namespace,
			Name:        secretName(k.prefix, id),
			Labels:      map[string]string{v1alpha1.LabelSecretType: k.typ},
			Annotations: map[string]string{annotationManagedBy: managedByValue},
		},
		Data: byteData(data),
	}
	if err := a.Client.Create(r.Context(), s); err != nil {
		writeKubeError(w, err, "create %s Secret %s", k.typ, s.Name)
		return nil, false
	}
	return s, true
}

// replaceData writes data into s, keeping the credentials data leaves out.
func (a *API) replaceData(w http.ResponseWriter, r *http.Request, s *corev1.Secret, data map[string]string) (*corev1.Secret, bool) {
	keepSecrets(data, s)
	s = s.DeepCopy()
	s.Data, s.StringData = byteData(data), nil
	if err := a.Client.Update(r.Context(), s); err != nil {
		writeKubeError(w, err, "update Secret %s", s.Name)
		return nil, false
	}
	return s, true
}

// updateSecret replaces the Secret of kind k named by the path value pathKey.
func (a *API) updateSecret(w http.ResponseWriter, r *http.Request, k secretKind, pathKey string) (*corev1.Secret, bool) {
	data, ok := a.secretRequest(w, r, k, "update")
	if !ok {
		return nil, false
	}
	if source.NormalizeURL(data["url"]) != source.NormalizeURL(r.PathValue(pathKey)) {
		writeError(w, http.StatusBadRequest, "the body's %s is not the URL of the path", k.urlKey)
		return nil, false
	}
	secrets, err := a.typedSecrets(r.Context(), k.typ)
	if err != nil {
		writeKubeError(w, err, "list %s Secrets", k.typ)
		return nil, false
	}
	cur := exact(secrets, data["url"], data["project"])
	if cur == nil {
		writeError(w, http.StatusNotFound, "%s %s not found", k.typ, source.RedactURL(data["url"]))
		return nil, false
	}
	return a.replaceData(w, r, cur, data)
}

// deleteManaged deletes s if the API created it.
func (a *API) deleteManaged(w http.ResponseWriter, r *http.Request, s *corev1.Secret) {
	if s.Annotations[annotationManagedBy] != managedByValue {
		writeError(w, http.StatusBadRequest, "Secret %s was not created through the API: delete it where it is declared", s.Name)
		return
	}
	if err := a.Client.Delete(r.Context(), s); err != nil {
		writeKubeError(w, err, "delete Secret %s", s.Name)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

func (a *API) createRepository(w http.ResponseWriter, r *http.Request) {
	data, ok := a.secretRequest(w, r, repositoryKind, "create")
	if !ok {
		return
	}
	if msg := a.validateRepository(r.Context(), data); msg != "" {
		writeError(w, http.StatusBadRequest, "unable to create repository %s: %s", source.RedactURL(data["url"]), msg)
		return
	}
	s, ok := a.createSecret(w, r, repositoryKind, data)
	if !ok {
		return
	}
	a.answerRepository(w, r, s)
}

// validateRepository checks that the repository data describes answers, as Argo CD
// does before it saves one; "" when it does (or cannot be checked).
func (a *API) validateRepository(ctx context.Context, data map[string]string) string {
	if a.Backends == nil || a.Backends.Git == nil {
		return ""
	}
	tmp := corev1.Secret{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{v1alpha1.LabelSecretType: v1alpha1.SecretTypeRepository}}, Data: byteData(data)}
	others, err := a.typedSecrets(ctx, v1alpha1.SecretTypeRepoCreds)
	if err != nil {
		return err.Error()
	}
	repo, _ := source.NewCredentials(append(others, tmp)).Lookup(data["url"], data["project"])
	if st := a.ping(ctx, repo, data["type"]); st.Status == "Failed" {
		return st.Message
	}
	return ""
}

func (a *API) updateRepository(w http.ResponseWriter, r *http.Request) {
	if s, ok := a.updateSecret(w, r, repositoryKind, "repo"); ok {
		a.answerRepository(w, r, s)
	}
}

func (a *API) deleteRepository(w http.ResponseWriter, r *http.Request) {
	if s, ok := a.loadRepository(w, r, "delete"); ok {
		a.deleteManaged(w, r, s)
	}
}

func (a *API) answerRepository(w http.ResponseWriter, r *http.Request, s *corev1.Secret) {
	creds, err := a.credentials(r.Context())
	if err != nil {
		writeKubeError(w, err, "read repositories")
		return
	}
	writeJSON(w, http.StatusOK, a.repositoryView(r.Context(), creds, s, false))
}

// stringData is a Secret's data as text.
func stringData(s *corev1.Secret) map[string]string {
	out := make(map[string]string, len(s.Data)+len(s.StringData))
	for k, v := range s.Data {
		out[k] = string(v)
	}
	maps.Copy(out, s.StringData)
	return out
}

func byteData(data map[string]string) map[string][]byte {
	out := make(map[string][]byte, len(data))
	for k, v := range data {
		out[k] = []byte(v)
	}
	return out
}
