package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// projectRoutes are the Projects pages: the list, a project's page and
// its edit form, creating and deleting projects, through
// /api/v1/projects.
func (u *UI) projectRoutes() []route {
	return []route{
		{pattern: "GET /settings/projects", handle: u.projectsPage},
		{pattern: "POST /settings/projects", handle: u.createProject},
		{pattern: "GET /settings/projects/{name}", handle: u.projectPage},
		{pattern: "GET /settings/projects/{name}/edit", handle: u.projectEditPage},
		{pattern: "POST /settings/projects/{name}/edit", handle: u.saveProject},
		{pattern: "POST /settings/projects/{name}/delete", handle: u.deleteProject},
	}
}

type projectsView struct {
	Done      notice
	Projects  []v1alpha1.AppProject
	CanCreate bool
}

func (u *UI) projectsPage(w http.ResponseWriter, r *http.Request, c *call) {
	var list v1alpha1.AppProjectList
	if err := c.get("/api/v1/projects", &list); err != nil {
		u.fail(w, r, c, err)
		return
	}
	v := projectsView{Done: doneNotice(r), Projects: list.Items, CanCreate: c.can("projects", "create", "*")}
	u.render(w, r, c, http.StatusOK, "settings_projects", "Projects", "settings", v)
}

func (u *UI) createProject(w http.ResponseWriter, r *http.Request, c *call) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	p := v1alpha1.AppProject{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       v1alpha1.AppProjectSpec{Description: strings.TrimSpace(r.PostFormValue("description"))},
	}
	if _, err := c.do(http.MethodPost, "/api/v1/projects", map[string]any{"project": p}, nil); err != nil {
		u.fail(w, r, c, err)
		return
	}
	redirectDone(w, r, projectURL(name), "project-created")
}

// projectURL is the page of project name.
func projectURL(name string) string { return "/settings/projects/" + url.PathEscape(name) }

// projectView is a project's page.
type projectView struct {
	Done      notice
	Project   v1alpha1.AppProject
	CanUpdate bool
	CanDelete bool
	// NewToken is a role token just created, shown this once.
	NewToken *newToken
	// WindowForm adds a sync window, or changes the one the page's
	// ?window= names.
	WindowForm windowForm
}

// newToken is an API token shown once, right after it was made.
type newToken struct {
	Owner string
	Token string
}

func (u *UI) projectPage(w http.ResponseWriter, r *http.Request, c *call) {
	u.showProject(w, r, c, doneNotice(r), nil)
}

func (u *UI) showProject(w http.ResponseWriter, r *http.Request, c *call, done notice, tok *newToken) {
	u.drawProject(w, r, c, http.StatusOK, done, tok, nil)
}

// drawProject draws a project's page; refused, when set, is a sync
// window's form the API refused, drawn again with its reason.
func (u *UI) drawProject(w http.ResponseWriter, r *http.Request, c *call, status int, done notice, tok *newToken, refused *windowForm) {
	name := r.PathValue("name")
	var p v1alpha1.AppProject
	if err := c.get(path("/api/v1/projects", []string{name}, nil), &p); err != nil {
		u.fail(w, r, c, err)
		return
	}
	v := projectView{Done: done, Project: p, NewToken: tok,
		CanUpdate: c.can("projects", "update", name), CanDelete: c.can("projects", "delete", name)}
	v.WindowForm = windowFormOf(r, c, &p, refused)
	u.render(w, r, c, status, "settings_project", "Project "+name, "settings", v)
}

func (u *UI) deleteProject(w http.ResponseWriter, r *http.Request, c *call) {
	if _, err := c.do(http.MethodDelete, path("/api/v1/projects", []string{r.PathValue("name")}, nil), nil, nil); err != nil {
		u.fail(w, r, c, err)
		return
	}
	redirectDone(w, r, "/settings/projects", "project-deleted")
}

// projectEditView is the form of a project's description, sources,
// destinations and kind lists.
type projectEditView struct {
	Project      v1alpha1.AppProject
	Destinations []v1alpha1.ApplicationDestination
}

func (u *UI) projectEditPage(w http.ResponseWriter, r *http.Request, c *call) {
	name := r.PathValue("name")
	var p v1alpha1.AppProject
	if err := c.get(path("/api/v1/projects", []string{name}, nil), &p); err != nil {
		u.fail(w, r, c, err)
		return
	}
	// Two empty rows to add destinations in.
	dests := append(append([]v1alpha1.ApplicationDestination{}, p.Spec.Destinations...), v1alpha1.ApplicationDestination{}, v1alpha1.ApplicationDestination{})
	u.render(w, r, c, http.StatusOK, "settings_project_edit", "Edit project "+name, "settings", projectEditView{Project: p, Destinations: dests})
}

// saveProject writes the edit form into the project.
func (u *UI) saveProject(w http.ResponseWriter, r *http.Request, c *call) {
	f := r.PostForm
	u.updateProject(w, r, c, "project-saved", func(p *v1alpha1.AppProject) error {
		dests, err := parseDestinations(f["destServer"], f["destName"], f["destNamespace"])
		if err != nil {
			return err
		}
		s := &p.Spec
		s.Description = strings.TrimSpace(f.Get("description"))
		s.SourceRepos = formLines(f.Get("sourceRepos"))
		s.Destinations = dests
		if s.ClusterResourceWhitelist, err = parseClusterKinds(f.Get("clusterAllow")); err != nil {
			return err
		}
		if s.ClusterResourceBlacklist, err = parseClusterKinds(f.Get("clusterDeny")); err != nil {
			return err
		}
		if s.NamespaceResourceWhitelist, err = parseGroupKinds(f.Get("namespaceAllow")); err != nil {
			return err
		}
		s.NamespaceResourceBlacklist, err = parseGroupKinds(f.Get("namespaceDeny"))
		return err
	})
}

// updateProject changes the project of the request with edit (see
// changeProject) and shows it with the notice of done, or says why it was
// not saved.
func (u *UI) updateProject(w http.ResponseWriter, r *http.Request, c *call, done string, edit func(*v1alpha1.AppProject) error) {
	if err := u.changeProject(r, c, edit); err != nil {
		u.projectNotSaved(w, r, c, err)
		return
	}
	redirectDone(w, r, projectURL(r.PathValue("name")), done)
}

// changeProject reads the project of the request, changes it with edit
// and writes it back through the API, as of the version the form was
// drawn from (its "rv" field): a change someone made since is a conflict,
// and not overwritten. An error of edit is a refusal (400), as the API's
// own checks are.
func (u *UI) changeProject(r *http.Request, c *call, edit func(*v1alpha1.AppProject) error) error {
	name := r.PathValue("name")
	var p v1alpha1.AppProject
	if err := c.get(path("/api/v1/projects", []string{name}, nil), &p); err != nil {
		return err
	}
	if rv := r.PostFormValue("rv"); rv != "" {
		p.ResourceVersion = rv
	}
	if err := edit(&p); err != nil {
		return &APIError{Status: http.StatusBadRequest, Message: err.Error()}
	}
	_, err := c.do(http.MethodPut, path("/api/v1/projects", []string{name}, nil), map[string]any{"project": &p}, nil)
	return err
}

// projectNotSaved answers a change of the project that failed: a refusal
// with its reason, a conflict with what to do about it.
func (u *UI) projectNotSaved(w http.ResponseWriter, r *http.Request, c *call, err error) {
	name := r.PathValue("name")
	var ae *APIError
	switch {
	case statusOf(err) == http.StatusBadRequest && errors.As(err, &ae):
		u.renderError(w, r, c, http.StatusBadRequest, fmt.Sprintf("Project %s was not saved: %s.", name, strings.TrimSuffix(ae.Message, ".")))
	case statusOf(err) == http.StatusConflict:
		u.renderError(w, r, c, http.StatusConflict, fmt.Sprintf(
			"Project %s was changed by someone else after this page was drawn, so your change was not saved. Open the project again to see what changed, then make your change again.", name))
	default:
		u.fail(w, r, c, err)
	}
}
