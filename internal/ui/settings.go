package ui

import (
	"net/http"
	"net/url"
)

// settingsRoutes are the Settings pages (repositories, clusters, projects,
// accounts) and the user info page.
func (u *UI) settingsRoutes() []route {
	all := []route{{pattern: "GET /settings", handle: u.settingsIndex}}
	for _, group := range [][]route{u.repoRoutes(), u.clusterRoutes(), u.projectRoutes(), u.projectRoleRoutes(), u.projectWindowRoutes(), u.accountRoutes(), u.userRoutes()} {
		all = append(all, group...)
	}
	return all
}

// settingsSection is one entry of the Settings index.
type settingsSection struct {
	Href, Title, Text string
}

// settingsIndex lists the sections the user may see. Accounts are always
// there: everyone may see their own.
func (u *UI) settingsIndex(w http.ResponseWriter, r *http.Request, c *call) {
	var sections []settingsSection
	for _, s := range []struct {
		resource string
		settingsSection
	}{
		{"repositories", settingsSection{"/settings/repos", "Repositories", "Git and Helm repositories, their credentials and connection state."}},
		{"clusters", settingsSection{"/settings/clusters", "Clusters", "The clusters applications deploy to."}},
		{"projects", settingsSection{"/settings/projects", "Projects", "Where applications may deploy from and to, their roles and sync windows."}},
		{"", settingsSection{"/settings/accounts", "Accounts", "Local accounts and their API tokens."}},
	} {
		if s.resource == "" || c.can(s.resource, "get", "*") {
			sections = append(sections, s.settingsSection)
		}
	}
	u.render(w, r, c, http.StatusOK, "settings", "Settings", "settings", sections)
}

// settingsDone are the notices a page shows after a form redirected back
// to it with ?done=<key>.
var settingsDone = map[string]string{
	"repo-added":       "The repository was added.",
	"repo-deleted":     "The repository was removed.",
	"creds-added":      "The credentials template was added.",
	"creds-deleted":    "The credentials template was removed.",
	"cluster-deleted":  "The cluster was removed.",
	"project-created":  "The project was created.",
	"project-saved":    "The project was saved.",
	"project-deleted":  "The project was deleted.",
	"role-saved":       "The role was saved.",
	"role-deleted":     "The role was deleted.",
	"token-deleted":    "The token was deleted; it is refused from now on.",
	"window-added":     "The sync window was added.",
	"window-saved":     "The sync window was saved.",
	"window-deleted":   "The sync window was deleted.",
	"password-changed": "Your password was changed, and your other sessions ended.",
}

// notice is what a form did, shown on the page it led back to; its key
// names it for tests and styles.
type notice struct {
	Key, Text string
}

// doneNotice is the notice of the request's ?done=, empty for none.
func doneNotice(r *http.Request) notice {
	key := r.URL.Query().Get("done")
	return notice{Key: key, Text: settingsDone[key]}
}

// redirectDone sends the browser to target with the notice of done, after
// a form did its work (post/redirect/get).
func redirectDone(w http.ResponseWriter, r *http.Request, target, done string) {
	http.Redirect(w, r, target+"?"+url.Values{"done": {done}}.Encode(), http.StatusSeeOther)
}
