package server

import (
	"maps"
	"net/http"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/cluster"
)

// clusterRoutes are /api/v1/clusters: the cluster Secrets and the
// in-cluster destination, under RBAC resource "clusters" with object
// <project>/<server> (just <server> without a project).
func (a *API) clusterRoutes() []route {
	const base = "/api/v1/clusters"
	return []route{
		{pattern: "GET " + base, handle: a.listClusters, doc: "List the clusters the caller may get", query: []string{"server", "name"}},
		{pattern: "POST " + base, handle: a.createCluster, doc: "Add a cluster", query: []string{"upsert"}},
		{pattern: "GET " + base + "/{server}", handle: a.getCluster, doc: "Get a cluster by server URL or name", query: clusterIDQuery},
		{pattern: "PUT " + base + "/{server}", handle: a.updateCluster, doc: "Update a cluster, or only its updatedFields", query: append([]string{"updatedFields"}, clusterIDQuery...)},
		{pattern: "DELETE " + base + "/{server}", handle: a.deleteCluster, doc: "Remove a cluster added through the API", query: clusterIDQuery},
		{pattern: "POST " + base + "/{server}/rotate-auth", handle: a.rotateClusterAuth, doc: "Give the cluster's ServiceAccount a new token and revoke the old one", query: clusterIDQuery},
	}
}

// clusterEntry is one cluster the API knows: its view, and its Secret
// (nil for the in-cluster destination no Secret names).
type clusterEntry struct {
	view   clusterView
	secret *corev1.Secret
}

// clusters lists the cluster Secrets the API can read, and the in-cluster
// destination unless a Secret names its server.
func (a *API) clusters(r *http.Request) ([]clusterEntry, error) {
	secrets, err := a.typedSecrets(r.Context(), v1alpha1.SecretTypeCluster)
	if err != nil {
		return nil, err
	}
	var out []clusterEntry
	inCluster := false
	for i := range secrets {
		v, err := clusterFromSecret(&secrets[i])
		if err != nil || v.Server == "" {
			continue
		}
		if strings.EqualFold(v.Server, cluster.InClusterServer) {
			inCluster = true
		}
		out = append(out, clusterEntry{view: v, secret: &secrets[i]})
	}
	if !inCluster {
		out = append([]clusterEntry{{view: inClusterView()}}, out...)
	}
	return out, nil
}

func (a *API) listClusters(w http.ResponseWriter, r *http.Request) {
	entries, err := a.clusters(r)
	if err != nil {
		writeKubeError(w, err, "list clusters")
		return
	}
	q := r.URL.Query()
	var shown []*clusterEntry
	for i := range entries {
		e := &entries[i]
		if s := q.Get("server"); s != "" && !sameServer(s, e.view.Server) {
			continue
		}
		if n := q.Get("name"); n != "" && n != e.view.Name {
			continue
		}
		if a.can(r, "clusters", "get", repoObject(e.view.Project, e.view.Server)) {
			shown = append(shown, e)
		}
	}
	a.fillClusterInfo(r.Context(), shown)
	items := make([]clusterView, len(shown))
	for i, e := range shown {
		items[i] = e.view
	}
	writeJSON(w, http.StatusOK, map[string]any{"metadata": struct{}{}, "items": items})
}

func sameServer(a, b string) bool {
	return strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(b, "/"))
}

// clusterIDQuery are the query parameters loadCluster reads.
var clusterIDQuery = []string{"id.type", "id.value"}

// loadCluster finds the cluster of the request's {server} (path-escaped),
// or of name when the query says id.type=name, once the caller may take
// action on it.
func (a *API) loadCluster(w http.ResponseWriter, r *http.Request, action string) (*clusterEntry, bool) {
	id := r.PathValue("server")
	byName := r.URL.Query().Get("id.type") == "name"
	if byName && r.URL.Query().Get("id.value") != "" {
		id = r.URL.Query().Get("id.value")
	}
	entries, err := a.clusters(r)
	if err != nil {
		writeKubeError(w, err, "list clusters")
		return nil, false
	}
	var found *clusterEntry
	for i := range entries {
		e := &entries[i]
		if byName && e.view.Name == id || !byName && sameServer(e.view.Server, id) {
			found = e
			break
		}
	}
	object := id
	if found != nil {
		object = repoObject(found.view.Project, found.view.Server)
	}
	if !a.allowed(w, r, "clusters", action, object) {
		return nil, false
	}
	if found == nil {
		writeError(w, http.StatusNotFound, "cluster %s not found", id)
		return nil, false
	}
	return found, true
}

func (a *API) getCluster(w http.ResponseWriter, r *http.Request) {
	if e, ok := a.loadCluster(w, r, "get"); ok {
		a.fillClusterInfo(r.Context(), []*clusterEntry{e})
		writeJSON(w, http.StatusOK, e.view)
	}
}

func (a *API) createCluster(w http.ResponseWriter, r *http.Request) {
	var req clusterRequest
	if !readJSON(w, r, &req) {
		return
	}
	if !a.allowed(w, r, "clusters", "create", repoObject(req.Project, strings.TrimRight(req.Server, "/"))) {
		return
	}
	data, err := clusterData(req, nil)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	entries, err := a.clusters(r)
	if err != nil {
		writeKubeError(w, err, "list clusters")
		return
	}
	for _, e := range entries {
		if !sameServer(e.view.Server, data["server"]) || e.secret == nil {
			continue
		}
		if upsert, _ := strconv.ParseBool(r.URL.Query().Get("upsert")); !upsert {
			if maps.Equal(stringData(e.secret), data) {
				a.fillClusterInfo(r.Context(), []*clusterEntry{&e})
				writeJSON(w, http.StatusOK, e.view)
				return
			}
			writeError(w, http.StatusBadRequest, "existing cluster spec is different; use upsert flag to force update")
			return
		}
		if a.allowed(w, r, "clusters", "update", repoObject(e.view.Project, e.view.Server)) {
			a.writeCluster(w, r, e.secret, req)
		}
		return
	}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   a.Namespace,
			Name:        clusterSecretName(data["server"]),
			Labels:      map[string]string{},
			Annotations: map[string]string{},
		},
	}
	a.writeCluster(w, r, s, req)
}

// writeCluster writes req into s (created when it has no resourceVersion),
// keeping the credentials req leaves out.
func (a *API) writeCluster(w http.ResponseWriter, r *http.Request, s *corev1.Secret, req clusterRequest) {
	old, err := storedConfig(s)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	data, err := clusterData(req, old)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	s = s.DeepCopy()
	s.Data, s.StringData = byteData(data), nil
	s.Labels = maps.Clone(req.Labels)
	if s.Labels == nil {
		s.Labels = map[string]string{}
	}
	s.Labels[v1alpha1.LabelSecretType] = v1alpha1.SecretTypeCluster
	managed := s.Annotations[annotationManagedBy]
	s.Annotations = maps.Clone(req.Annotations)
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	if s.ResourceVersion == "" || managed != "" {
		s.Annotations[annotationManagedBy] = managedByValue
	}
	if s.ResourceVersion == "" {
		err = a.Client.Create(r.Context(), s)
	} else {
		err = a.Client.Update(r.Context(), s)
	}
	if err != nil {
		writeKubeError(w, err, "write cluster Secret %s", s.Name)
		return
	}
	v, err := clusterFromSecret(s)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	e := &clusterEntry{view: v, secret: s}
	a.fillClusterInfo(r.Context(), []*clusterEntry{e})
	writeJSON(w, http.StatusOK, e.view)
}

func (a *API) deleteCluster(w http.ResponseWriter, r *http.Request) {
	e, ok := a.loadCluster(w, r, "delete")
	if !ok {
		return
	}
	if e.secret == nil {
		writeError(w, http.StatusBadRequest, "the in-cluster destination cannot be deleted")
		return
	}
	a.deleteManaged(w, r, e.secret)
}
