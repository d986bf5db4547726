package server

import (
	"net/http"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/source"
)

// listRepoCreds answers the credential templates, without their
// credentials; url filters them to one.
func (a *API) listRepoCreds(w http.ResponseWriter, r *http.Request) {
	secrets, err := a.typedSecrets(r.Context(), v1alpha1.SecretTypeRepoCreds)
	if err != nil {
		writeKubeError(w, err, "list repo-creds")
		return
	}
	only := r.URL.Query().Get("url")
	out := repoList{Items: []map[string]any{}}
	for i := range secrets {
		s := &secrets[i]
		url, _ := secretValue(s, "url")
		project, _ := secretValue(s, "project")
		if url == "" || only != "" && source.NormalizeURL(only) != source.NormalizeURL(url) {
			continue
		}
		if a.can(r, "repositories", "get", repoObject(project, url)) {
			out.Items = append(out.Items, repoJSON(s, "url"))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) createRepoCreds(w http.ResponseWriter, r *http.Request) {
	data, ok := a.secretRequest(w, r, repoCredsKind, "create")
	if !ok {
		return
	}
	if s, ok := a.createSecret(w, r, repoCredsKind, data); ok {
		writeJSON(w, http.StatusOK, repoJSON(s, "url"))
	}
}

func (a *API) updateRepoCreds(w http.ResponseWriter, r *http.Request) {
	if s, ok := a.updateSecret(w, r, repoCredsKind, "url"); ok {
		writeJSON(w, http.StatusOK, repoJSON(s, "url"))
	}
}

func (a *API) deleteRepoCreds(w http.ResponseWriter, r *http.Request) {
	url := r.PathValue("url")
	secrets, err := a.typedSecrets(r.Context(), v1alpha1.SecretTypeRepoCreds)
	if err != nil {
		writeKubeError(w, err, "list repo-creds")
		return
	}
	project := r.URL.Query().Get("appProject")
	s := findSecret(secrets, url, project)
	if s != nil {
		project, _ = secretValue(s, "project")
	}
	if !a.allowed(w, r, "repositories", "delete", repoObject(project, url)) {
		return
	}
	if s == nil {
		writeError(w, http.StatusNotFound, "repository credentials %s not found", source.RedactURL(url))
		return
	}
	a.deleteManaged(w, r, s)
}
