package server

import (
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/appcache"
)

// resourceApplications is the RBAC resource of Applications.
const resourceApplications = "applications"

// applicationRoutes are the Application endpoints and their event stream.
func (a *API) applicationRoutes() []route {
	return []route{
		{pattern: "GET /api/v1/applications", handle: a.listApplications, doc: "List the Applications the caller may get", query: appListQuery},
		{pattern: "POST /api/v1/applications", handle: a.createApplication, doc: "Create an Application", query: []string{"upsert", "validate"}},
		{pattern: "GET /api/v1/applications/{name}", handle: a.getApplication, doc: "Get an Application, after a refresh when asked", query: queryOf(appLookupQuery, "refresh")},
		{pattern: "PUT /api/v1/applications/{name}", handle: a.updateApplication, doc: "Replace an Application's spec, labels, annotations and finalizers", query: queryOf(appLookupQuery, "validate")},
		{pattern: "PATCH /api/v1/applications/{name}", handle: a.patchApplication, doc: "Patch an Application with a JSON patch or a merge patch", query: queryOf(appLookupQuery, "validate")},
		{pattern: "DELETE /api/v1/applications/{name}", handle: a.deleteApplication, doc: "Delete an Application, with its resources unless told not to", query: queryOf(appLookupQuery, "cascade", "propagationPolicy")},
		{pattern: "PUT /api/v1/applications/{name}/spec", handle: a.updateApplicationSpec, doc: "Replace an Application's spec", query: queryOf(appLookupQuery, "validate")},
		{pattern: "POST /api/v1/applications/{name}/sync", handle: a.syncApplication, doc: "Request a sync of an Application", query: appLookupQuery},
		{pattern: "POST /api/v1/applications/{name}/rollback", handle: a.rollbackApplication, doc: "Request a sync back to an entry of the Application's history", query: appLookupQuery},
		{pattern: "DELETE /api/v1/applications/{name}/operation", handle: a.terminateOperation, doc: "Terminate the Application's running operation", query: appLookupQuery},
		{pattern: "GET /api/v1/stream/applications", handle: a.streamApplications, doc: "Stream changes of the Applications the caller may get", query: queryOf(appListQuery, "name", "resourceVersion")},
		{pattern: "GET /api/v1/stream/applications/{name}/resource-tree", handle: a.streamResourceTree, doc: "Stream an Application's resource tree as it changes", query: appLookupQuery},
	}
}

// listApplications answers GET /api/v1/applications from the cache: the
// Applications that pass the query's filters and that the caller may get,
// sorted by name.
func (a *API) listApplications(w http.ResponseWriter, r *http.Request) {
	q, ok := a.readAppQuery(w, r)
	if !ok {
		return
	}
	items, version, err := a.visibleApps(r, q)
	if err != nil {
		writeKubeError(w, err, "list Applications")
		return
	}
	if err := writeAppList(w, metav1.ListMeta{ResourceVersion: version}, items, q.Fields); err != nil {
		ctrl.LoggerFrom(r.Context()).Error(err, "write a list of Applications")
	}
}

// visibleApps lists the cached Applications that pass q and that the
// caller of r may get, sorted by name, with the resourceVersion of the
// list. They are the cache's own objects, to be read only, in a slice of
// the caller's own.
func (a *API) visibleApps(r *http.Request, q appQuery) ([]*appcache.Application, string, error) {
	all, version, err := a.cachedApps(r.Context())
	if err != nil {
		return nil, "", err
	}
	items := make([]*appcache.Application, 0, len(all))
	allowed := a.canEach(r, resourceApplications, "get")
	for _, app := range all {
		if q.matches(app) && allowed(cachedRBACObject(app)) {
			items = append(items, app)
		}
	}
	return items, version, nil
}

// readAppQuery reads the query of a list or a stream, answering the
// request when it cannot be served.
func (a *API) readAppQuery(w http.ResponseWriter, r *http.Request) (appQuery, bool) {
	q, err := parseAppQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return appQuery{}, false
	}
	return q, a.namespaceServed(w, q.AppNamespace)
}

// namespaceServed answers 403 for a namespace other than the control
// plane's: capstan serves the Applications of that namespace only.
func (a *API) namespaceServed(w http.ResponseWriter, ns string) bool {
	if ns == "" || ns == a.Namespace {
		return true
	}
	writeError(w, http.StatusForbidden, "namespace %s is not permitted: Applications are served from namespace %s only", ns, a.Namespace)
	return false
}

// getApplication answers GET /api/v1/applications/{name}; with refresh
// it first asks the controller for a refresh and waits for it.
func (a *API) getApplication(w http.ResponseWriter, r *http.Request) {
	app, ok := a.appFor(w, r, "get")
	if !ok {
		return
	}
	if refresh := r.URL.Query().Get("refresh"); refresh != "" {
		if app, ok = a.refreshApp(w, r, app, refresh); !ok {
			return
		}
		// The wait may have outlasted the server's write timeout.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	}
	writeJSON(w, http.StatusOK, app)
}

// appLookupQuery are the query parameters appFor reads.
var appLookupQuery = []string{"project", "appNamespace"}

// appFor reads the Application of the request's path from the cache and
// checks that the caller may take action on it, answering the request
// when not. As in Argo CD, a missing Application is 403 unless the caller
// named its project (?project=) and may act in it, so that a caller
// learns nothing of Applications outside its reach.
func (a *API) appFor(w http.ResponseWriter, r *http.Request, action string) (*v1alpha1.Application, bool) {
	name, inProject := r.PathValue("name"), r.URL.Query().Get("project")
	if !a.namespaceServed(w, r.URL.Query().Get("appNamespace")) {
		return nil, false
	}
	if inProject != "" && !a.allowed(w, r, resourceApplications, action, inProject+"/"+name) {
		return nil, false
	}
	app := &v1alpha1.Application{}
	err := a.Client.Get(r.Context(), client.ObjectKey{Namespace: a.Namespace, Name: name}, app)
	switch {
	case apierrors.IsNotFound(err) && inProject == "":
		writeError(w, http.StatusForbidden, "permission denied")
		return nil, false
	case err != nil:
		writeKubeError(w, err, "get Application %s", name)
		return nil, false
	case inProject != "" && projectOf(app) != inProject:
		writeError(w, http.StatusNotFound, "application %s not found in project %s", name, inProject)
		return nil, false
	case inProject == "" && !a.allowed(w, r, resourceApplications, action, rbacObject(app)):
		return nil, false
	}
	return app, true
}
