package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/project"
)

// projectRoutes are /api/v1/projects: AppProjects, under RBAC resource
// "projects" with the project's name as object.
func (a *API) projectRoutes() []route {
	const base = "/api/v1/projects"
	return []route{
		{pattern: "GET " + base, handle: a.listProjects, doc: "List the AppProjects the caller may get"},
		{pattern: "POST " + base, handle: a.createProject, doc: "Create an AppProject"},
		{pattern: "GET " + base + "/{name}", handle: a.getProject, doc: "Get an AppProject"},
		{pattern: "PUT " + base + "/{name}", handle: a.updateProject, doc: "Update an AppProject"},
		{pattern: "DELETE " + base + "/{name}", handle: a.deleteProject, doc: "Delete an AppProject that no Application uses"},
		{pattern: "GET " + base + "/{name}/detailed", handle: a.detailedProject, doc: "Get an AppProject with its global projects, repositories and clusters"},
		{pattern: "GET " + base + "/{name}/syncwindows", handle: a.projectSyncWindows, doc: "Get the sync windows of an AppProject"},
	}
}

func (a *API) listProjects(w http.ResponseWriter, r *http.Request) {
	var list v1alpha1.AppProjectList
	if err := a.Client.List(r.Context(), &list, client.InNamespace(a.Namespace)); err != nil {
		writeKubeError(w, err, "list projects")
		return
	}
	items := make([]v1alpha1.AppProject, 0, len(list.Items))
	for _, p := range list.Items {
		if a.can(r, "projects", "get", p.Name) {
			items = append(items, p)
		}
	}
	list.Items = items
	writeJSON(w, http.StatusOK, list)
}

// loadProject reads the project of the request's {name} once the caller
// may take action on it.
func (a *API) loadProject(w http.ResponseWriter, r *http.Request, action string) (*v1alpha1.AppProject, bool) {
	name := r.PathValue("name")
	if !a.allowed(w, r, "projects", action, name) {
		return nil, false
	}
	p := &v1alpha1.AppProject{}
	if err := a.Client.Get(r.Context(), client.ObjectKey{Namespace: a.Namespace, Name: name}, p); err != nil {
		writeKubeError(w, err, "get project %s", name)
		return nil, false
	}
	return p, true
}

func (a *API) getProject(w http.ResponseWriter, r *http.Request) {
	if p, ok := a.loadProject(w, r, "get"); ok {
		writeJSON(w, http.StatusOK, p)
	}
}

// projectRequest is Argo CD's ProjectCreateRequest and ProjectUpdateRequest.
type projectRequest struct {
	Project *v1alpha1.AppProject `json:"project"`
	Upsert  bool                 `json:"upsert"`
}

func (a *API) createProject(w http.ResponseWriter, r *http.Request) {
	var req projectRequest
	if !readJSON(w, r, &req) {
		return
	}
	if req.Project == nil || req.Project.Name == "" {
		writeError(w, http.StatusBadRequest, "project.metadata.name is required")
		return
	}
	p := req.Project
	if !a.allowed(w, r, "projects", "create", p.Name) {
		return
	}
	if err := checkProjectSpec(p); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	p.Namespace = a.Namespace
	p.ResourceVersion = ""
	err := a.Client.Create(r.Context(), p)
	if apierrors.IsAlreadyExists(err) {
		a.upsertProject(w, r, p, req.Upsert)
		return
	}
	if err != nil {
		writeKubeError(w, err, "create project %s", p.Name)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// upsertProject answers a create of a project that exists: the existing
// one when the specs match, an update with upsert, a conflict otherwise.
func (a *API) upsertProject(w http.ResponseWriter, r *http.Request, p *v1alpha1.AppProject, upsert bool) {
	cur := &v1alpha1.AppProject{}
	if err := a.Client.Get(r.Context(), client.ObjectKeyFromObject(p), cur); err != nil {
		writeKubeError(w, err, "get project %s", p.Name)
		return
	}
	switch {
	case equality.Semantic.DeepEqual(cur.Spec, p.Spec):
		writeJSON(w, http.StatusOK, cur)
	case !upsert:
		writeError(w, http.StatusBadRequest, "existing project spec is different, use upsert flag to force update")
	case a.allowed(w, r, "projects", "update", p.Name):
		cur.Spec = p.Spec
		if err := a.Client.Update(r.Context(), cur); err != nil {
			writeKubeError(w, err, "update project %s", p.Name)
			return
		}
		writeJSON(w, http.StatusOK, cur)
	}
}

func (a *API) updateProject(w http.ResponseWriter, r *http.Request) {
	var req projectRequest
	if !readJSON(w, r, &req) {
		return
	}
	name := r.PathValue("name")
	if req.Project == nil || req.Project.Name != name {
		writeError(w, http.StatusBadRequest, "project.metadata.name must be %s", name)
		return
	}
	cur, ok := a.loadProject(w, r, "update")
	if !ok {
		return
	}
	if err := checkProjectSpec(req.Project); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	cur.Spec = req.Project.Spec
	cur.Labels, cur.Annotations = req.Project.Labels, req.Project.Annotations
	if rv := req.Project.ResourceVersion; rv != "" {
		// The caller's version: a change made since it read the project
		// is a conflict, not overwritten.
		cur.ResourceVersion = rv
	}
	if err := a.Client.Update(r.Context(), cur); err != nil {
		writeKubeError(w, err, "update project %s", name)
		return
	}
	writeJSON(w, http.StatusOK, cur)
}

// checkProjectSpec refuses a project the controller could not use: one
// with a sync window it cannot read.
func checkProjectSpec(p *v1alpha1.AppProject) error {
	if err := project.CheckWindows(p.Spec.SyncWindows); err != nil {
		return fmt.Errorf("project %s: %w", p.Name, err)
	}
	return nil
}

func (a *API) deleteProject(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if name == project.Default {
		writeError(w, http.StatusBadRequest, "name '%s' is reserved and cannot be deleted", name)
		return
	}
	p, ok := a.loadProject(w, r, "delete")
	if !ok {
		return
	}
	n, err := a.appsOfProject(r.Context(), name)
	if err != nil {
		writeKubeError(w, err, "list applications")
		return
	}
	if n > 0 {
		writeError(w, http.StatusBadRequest, "project is referenced by %d applications", n)
		return
	}
	if err := a.Client.Delete(r.Context(), p, client.Preconditions{UID: &p.UID}); err != nil {
		writeKubeError(w, err, "delete project %s", name)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// appsOfProject counts the Applications of project name.
func (a *API) appsOfProject(ctx context.Context, name string) (int, error) {
	apps, _, err := a.cachedApps(ctx) // only their projects are read
	if err != nil {
		return 0, err
	}
	n := 0
	for _, app := range apps {
		if app.Spec.Project == name {
			n++
		}
	}
	return n, nil
}

// syncWindowsResponse is Argo CD's SyncWindowsResponse.
type syncWindowsResponse struct {
	Windows []v1alpha1.SyncWindow `json:"windows"`
}

func (a *API) projectSyncWindows(w http.ResponseWriter, r *http.Request) {
	p, ok := a.loadProject(w, r, "get")
	if !ok {
		return
	}
	active, err := project.ActiveWindows(p.Spec.SyncWindows, time.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, "project %s: %v", p.Name, err)
		return
	}
	writeJSON(w, http.StatusOK, syncWindowsResponse{Windows: append([]v1alpha1.SyncWindow{}, active...)})
}
