package ui

import (
	"net/http"
	"net/url"
	"strings"
)

// repoRoutes are the Repositories page: repositories and credentials
// templates, listed, added and removed through /api/v1/repositories and
// /api/v1/repocreds.
func (u *UI) repoRoutes() []route {
	return []route{
		{pattern: "GET /settings/repos", handle: u.reposPage},
		{pattern: "GET /settings/repos/new", handle: u.newRepoPage},
		{pattern: "POST /settings/repos/new", handle: u.addRepo},
		{pattern: "POST /settings/repos/delete", handle: u.deleteRepo},
		{pattern: "POST /settings/repos/creds", handle: u.addRepoCreds},
		{pattern: "POST /settings/repos/creds/delete", handle: u.deleteRepoCreds},
	}
}

// repoItem is a repository or credentials template as the API lists it:
// never its credentials.
type repoItem struct {
	Repo            string `json:"repo"`
	URL             string `json:"url"`
	Name            string `json:"name"`
	Type            string `json:"type"`
	Project         string `json:"project"`
	Username        string `json:"username"`
	EnableOCI       bool   `json:"enableOCI"`
	InheritedCreds  bool   `json:"inheritedCreds"`
	ConnectionState struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	} `json:"connectionState"`
	// CanDelete is whether the user may remove it.
	CanDelete bool `json:"-"`
}

// repoObject is the RBAC object of a repository: <project>/<url>, or the
// URL alone for one of no project.
func repoObject(project, url string) string {
	if project == "" {
		return url
	}
	return project + "/" + url
}

type reposView struct {
	Done      notice
	Repos     []repoItem
	Creds     []repoItem
	CanCreate bool
}

func (u *UI) reposPage(w http.ResponseWriter, r *http.Request, c *call) {
	v := reposView{Done: doneNotice(r), CanCreate: c.can("repositories", "create", "*")}
	var repos, creds struct {
		Items []repoItem `json:"items"`
	}
	// The page checks each connection now, as a user opening it expects.
	if err := c.get("/api/v1/repositories?forceRefresh=true", &repos); err != nil {
		u.fail(w, r, c, err)
		return
	}
	if err := c.get("/api/v1/repocreds", &creds); err != nil {
		u.fail(w, r, c, err)
		return
	}
	for _, it := range repos.Items {
		it.CanDelete = c.can("repositories", "delete", repoObject(it.Project, it.Repo))
		v.Repos = append(v.Repos, it)
	}
	for _, it := range creds.Items {
		it.CanDelete = c.can("repositories", "delete", repoObject(it.Project, it.URL))
		v.Creds = append(v.Creds, it)
	}
	u.render(w, r, c, http.StatusOK, "settings_repos", "Repositories", "settings", v)
}

// newRepoView is the form to add a repository: the values typed, never
// the credentials, and why the last try failed.
type newRepoView struct {
	Form     url.Values
	Projects []string
	Error    string
}

func (u *UI) newRepoPage(w http.ResponseWriter, r *http.Request, c *call) {
	u.showNewRepo(w, r, c, http.StatusOK, url.Values{"type": {"git"}, "method": {"https"}}, "")
}

func (u *UI) showNewRepo(w http.ResponseWriter, r *http.Request, c *call, status int, form url.Values, msg string) {
	shown := url.Values{}
	for k, vs := range form {
		if !repoSecretFields[k] {
			shown[k] = vs
		}
	}
	u.render(w, r, c, status, "settings_repo_new", "Add a repository", "settings", newRepoView{Form: shown, Projects: projectNames(c), Error: msg})
}

// addRepo saves a repository; the API checks first that it answers with
// the credentials given, and refuses it with the reason otherwise.
func (u *UI) addRepo(w http.ResponseWriter, r *http.Request, c *call) {
	body := repoBody(r.PostForm, "repo")
	q := url.Values{}
	if r.PostFormValue("upsert") == "on" {
		q.Set("upsert", "true")
	}
	if _, err := c.do(http.MethodPost, path("/api/v1/repositories", nil, q), body, nil); err != nil {
		if statusOf(err) == http.StatusUnauthorized {
			u.fail(w, r, c, err)
			return
		}
		u.showNewRepo(w, r, c, statusOf(err), r.PostForm, apiErrorMessage(err))
		return
	}
	redirectDone(w, r, "/settings/repos", "repo-added")
}

func (u *UI) deleteRepo(w http.ResponseWriter, r *http.Request, c *call) {
	u.deleteRepoSecret(w, r, c, "/api/v1/repositories", "repo-deleted")
}

func (u *UI) addRepoCreds(w http.ResponseWriter, r *http.Request, c *call) {
	if _, err := c.do(http.MethodPost, "/api/v1/repocreds", repoBody(r.PostForm, "url"), nil); err != nil {
		u.fail(w, r, c, err)
		return
	}
	redirectDone(w, r, "/settings/repos", "creds-added")
}

func (u *UI) deleteRepoCreds(w http.ResponseWriter, r *http.Request, c *call) {
	u.deleteRepoSecret(w, r, c, "/api/v1/repocreds", "creds-deleted")
}

// deleteRepoSecret removes the repository or credentials template (by
// base) of the form's url and project.
func (u *UI) deleteRepoSecret(w http.ResponseWriter, r *http.Request, c *call, base, done string) {
	q := url.Values{}
	if p := r.PostFormValue("project"); p != "" {
		q.Set("appProject", p)
	}
	if _, err := c.do(http.MethodDelete, path(base, []string{r.PostFormValue("url")}, q), nil, nil); err != nil {
		u.fail(w, r, c, err)
		return
	}
	redirectDone(w, r, "/settings/repos", done)
}

// repoSecretFields are the form fields never drawn back into a page.
var repoSecretFields = map[string]bool{"password": true, "sshPrivateKey": true, "tlsClientCertKey": true, "csrf": true}

// repoBody is the API's JSON for a repository (urlKey "repo") or a
// credentials template (urlKey "url") from the add form: the fields of
// the chosen connection method only, and nothing left empty.
func repoBody(form url.Values, urlKey string) map[string]any {
	body := map[string]any{urlKey: strings.TrimSpace(form.Get("url"))}
	text := func(key string) {
		if v := strings.TrimSpace(form.Get(key)); v != "" {
			body[key] = v
		}
	}
	flag := func(key string) {
		if form.Get(key) == "on" {
			body[key] = true
		}
	}
	for _, k := range []string{"type", "name", "project"} {
		text(k)
	}
	flag("enableOCI")
	if form.Get("method") == "ssh" {
		if v := form.Get("sshPrivateKey"); strings.TrimSpace(v) != "" {
			body["sshPrivateKey"] = strings.TrimSpace(v) + "\n"
		}
		flag("insecureIgnoreHostKey")
		return body
	}
	text("username")
	if v := form.Get("password"); v != "" {
		body["password"] = v
	}
	text("tlsClientCertData")
	text("tlsClientCertKey")
	flag("insecure")
	return body
}

// apiErrorMessage is the API's message of err, or err's text.
func apiErrorMessage(err error) string {
	if ae, ok := err.(*APIError); ok {
		return ae.Message
	}
	return err.Error()
}

// projectNames are the names of the projects the user may see, for the
// project choices of forms; none when they cannot be read.
func projectNames(c *call) []string {
	var list struct {
		Items []struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		} `json:"items"`
	}
	if c.get("/api/v1/projects", &list) != nil {
		return nil
	}
	names := make([]string, 0, len(list.Items))
	for _, p := range list.Items {
		names = append(names, p.Metadata.Name)
	}
	return names
}
