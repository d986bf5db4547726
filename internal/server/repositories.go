package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/source"
)

// repositoryRoutes are /api/v1/repositories and /api/v1/repocreds: the
// repository and repo-creds Secrets, under RBAC resource "repositories"
// with object <project>/<url> (just <url> without a project).
func (a *API) repositoryRoutes() []route {
	const repos, creds = "/api/v1/repositories", "/api/v1/repocreds"
	return []route{
		{pattern: "GET " + repos, handle: a.listRepositories, doc: "List the repositories the caller may get", query: []string{"forceRefresh"}},
		{pattern: "POST " + repos, handle: a.createRepository, doc: "Add a repository after checking its credentials", query: []string{"upsert"}},
		{pattern: "GET " + repos + "/{repo}", handle: a.getRepository, doc: "Get a repository and its connection state", query: []string{"appProject", "forceRefresh"}},
		{pattern: "PUT " + repos + "/{repo}", handle: a.updateRepository, doc: "Update a repository"},
		{pattern: "DELETE " + repos + "/{repo}", handle: a.deleteRepository, doc: "Remove a repository added through the API", query: []string{"appProject"}},
		{pattern: "GET " + creds, handle: a.listRepoCreds, doc: "List the credentials templates", query: []string{"url"}},
		{pattern: "POST " + creds, handle: a.createRepoCreds, doc: "Add a credentials template", query: []string{"upsert"}},
		{pattern: "PUT " + creds + "/{url}", handle: a.updateRepoCreds, doc: "Update a credentials template"},
		{pattern: "DELETE " + creds + "/{url}", handle: a.deleteRepoCreds, doc: "Remove a credentials template added through the API", query: []string{"appProject"}},
	}
}

// repoObject is the RBAC object of a repository or cluster: <project>/<x>,
// or <x> for one of no project.
func repoObject(project, x string) string {
	if project == "" {
		return x
	}
	return project + "/" + x
}

// typedSecrets lists the control-plane Secrets of one secret-type.
func (a *API) typedSecrets(ctx context.Context, typ string) ([]corev1.Secret, error) {
	var list corev1.SecretList
	if err := a.Client.List(ctx, &list, client.InNamespace(a.Namespace), client.MatchingLabels{v1alpha1.LabelSecretType: typ}); err != nil {
		return nil, err
	}
	return list.Items, nil
}

// findSecret is the Secret among secrets whose url is url (compared as
// capstan compares repository URLs), of project when one is given,
// preferring one of no project otherwise.
func findSecret(secrets []corev1.Secret, url, project string) *corev1.Secret {
	var found *corev1.Secret
	want := source.NormalizeURL(url)
	for i := range secrets {
		s := &secrets[i]
		u, _ := secretValue(s, "url")
		if source.NormalizeURL(u) != want {
			continue
		}
		p, _ := secretValue(s, "project")
		switch {
		case project != "" && p == project:
			return s
		case project == "" && p == "":
			return s
		case project == "" && found == nil:
			found = s
		}
	}
	return found
}

// repoList is Argo CD's RepositoryList and RepoCredsList.
type repoList struct {
	Metadata struct{}         `json:"metadata"`
	Items    []map[string]any `json:"items"`
}

func (a *API) listRepositories(w http.ResponseWriter, r *http.Request) {
	secrets, err := a.typedSecrets(r.Context(), v1alpha1.SecretTypeRepository)
	if err != nil {
		writeKubeError(w, err, "list repositories")
		return
	}
	creds, err := a.credentials(r.Context())
	if err != nil {
		writeKubeError(w, err, "list repositories")
		return
	}
	refresh, _ := strconv.ParseBool(r.URL.Query().Get("forceRefresh"))
	out := repoList{Items: []map[string]any{}}
	for i := range secrets {
		s := &secrets[i]
		url, _ := secretValue(s, "url")
		project, _ := secretValue(s, "project")
		if url == "" || !a.can(r, "repositories", "get", repoObject(project, url)) {
			continue
		}
		out.Items = append(out.Items, a.repositoryView(r.Context(), creds, s, refresh))
	}
	writeJSON(w, http.StatusOK, out)
}

// loadRepository reads the repository Secret of the request's {repo}
// (path-escaped URL, and appProject) once the caller may take action on
// it.
func (a *API) loadRepository(w http.ResponseWriter, r *http.Request, action string) (*corev1.Secret, bool) {
	url := r.PathValue("repo")
	secrets, err := a.typedSecrets(r.Context(), v1alpha1.SecretTypeRepository)
	if err != nil {
		writeKubeError(w, err, "list repositories")
		return nil, false
	}
	s := findSecret(secrets, url, r.URL.Query().Get("appProject"))
	project := r.URL.Query().Get("appProject")
	if s != nil {
		project, _ = secretValue(s, "project")
	}
	if !a.allowed(w, r, "repositories", action, repoObject(project, url)) {
		return nil, false
	}
	if s == nil {
		writeError(w, http.StatusNotFound, "repo %s not found", source.RedactURL(url))
		return nil, false
	}
	return s, true
}

func (a *API) getRepository(w http.ResponseWriter, r *http.Request) {
	s, ok := a.loadRepository(w, r, "get")
	if !ok {
		return
	}
	creds, err := a.credentials(r.Context())
	if err != nil {
		writeKubeError(w, err, "get repository")
		return
	}
	refresh, _ := strconv.ParseBool(r.URL.Query().Get("forceRefresh"))
	writeJSON(w, http.StatusOK, a.repositoryView(r.Context(), creds, s, refresh))
}

// connectionState is Argo CD's ConnectionState.
type connectionState struct {
	Status      string     `json:"status"`
	Message     string     `json:"message"`
	AttemptedAt *time.Time `json:"attemptedAt,omitempty"`
}

// repositoryView is what the API answers of a repository Secret: no
// credential, whether it borrows those of a repo-creds, and, when refresh
// asks, whether the repository answers a ref listing now.
func (a *API) repositoryView(ctx context.Context, creds *source.Credentials, s *corev1.Secret, refresh bool) map[string]any {
	out := repoJSON(s, "repo")
	data := map[string]string{}
	for _, f := range repoFields {
		if v, ok := secretValue(s, f.key); ok {
			data[f.key] = v
		}
	}
	repo, _ := creds.Lookup(data["url"], data["project"])
	if !ownCredentials(data) && (repo.Username != "" || repo.Password != "" || repo.SSHPrivateKey != "" || repo.GitHubAppPrivateKey != "" || repo.BearerToken != "") {
		out["inheritedCreds"] = true
	}
	state := connectionState{Status: "Unknown", Message: "ask with forceRefresh=true to check the connection"}
	if refresh {
		state = a.ping(ctx, repo, data["type"])
	}
	out["connectionState"] = state
	return out
}

// ping checks that a Git repository answers a ref listing with its
// credentials; other types are not checked.
func (a *API) ping(ctx context.Context, repo source.Repository, typ string) connectionState {
	t := time.Now().UTC().Truncate(time.Second)
	now := &t
	if typ != "" && typ != "git" {
		return connectionState{Status: "Unknown", Message: "only Git repositories are checked", AttemptedAt: now}
	}
	if a.Backends == nil || a.Backends.Git == nil {
		return connectionState{Status: "Unknown", Message: errNoBackend.Error(), AttemptedAt: now}
	}
	if err := a.Backends.Git.Ping(ctx, repo); err != nil {
		return connectionState{Status: "Failed", Message: err.Error(), AttemptedAt: now}
	}
	return connectionState{Status: "Successful", AttemptedAt: now}
}
