package server

import (
	"context"
	"net/http"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// appResourceRoutes are the endpoints on what an Application deploys:
// its resource tree, managed resources, manifests, events, single
// resources and revision metadata.
func (a *API) appResourceRoutes() []route {
	const app = "/api/v1/applications/{name}"
	return []route{
		{pattern: "GET " + app + "/resource-tree", handle: a.resourceTree, doc: "Get the tree of live objects an Application manages", query: appLookupQuery},
		{pattern: "GET " + app + "/managed-resources", handle: a.managedResources, doc: "Compare the rendered and live state of each object of an Application", query: appLookupQuery},
		{pattern: "GET " + app + "/manifests", handle: a.manifests, doc: "Render an Application's sources", query: queryOf(appLookupQuery, "revision")},
		{pattern: "GET " + app + "/events", handle: a.events, doc: "List the Kubernetes events of an Application or of one of its objects", query: queryOf(appLookupQuery, "resourceUID", "resourceName", "resourceNamespace")},
		{pattern: "GET " + app + "/resource", handle: a.getResource, doc: "Get a live object of an Application", query: appResourceQuery},
		{pattern: "POST " + app + "/resource", handle: a.patchResource, doc: "Patch a live object of an Application", query: queryOf(appResourceQuery, "patchType")},
		{pattern: "DELETE " + app + "/resource", handle: a.deleteResource, doc: "Delete a live object of an Application", query: queryOf(appResourceQuery, "orphan", "force")},
		{pattern: "GET " + app + "/revisions/{revision}/metadata", handle: a.revisionMetadata, doc: "Get the author, date and message of a revision of an Application's source", query: queryOf(appLookupQuery, "sourceIndex")},
	}
}

// appWithDestination loads the app as appFor does, with the clients of
// its destination cluster.
func (a *API) appWithDestination(w http.ResponseWriter, r *http.Request, action string) (*v1alpha1.Application, *destination, bool) {
	app, ok := a.appFor(w, r, action)
	if !ok {
		return nil, nil, false
	}
	dst, ok := a.destinationFor(w, r, app)
	return app, dst, ok
}

// destinationFor is destinationOf, answering its error.
func (a *API) destinationFor(w http.ResponseWriter, r *http.Request, app *v1alpha1.Application) (*destination, bool) {
	dst, err := a.destinationOf(r.Context(), app)
	if err != nil {
		writeBackendError(w, err, "application %s: destination", app.Name)
		return nil, false
	}
	return dst, true
}

// resourceRef names one object in a destination cluster.
type resourceRef struct {
	Group, Version, Kind, Namespace, Name string
}

func (ref resourceRef) gvk() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: ref.Group, Version: ref.Version, Kind: ref.Kind}
}

// stub is an object carrying only ref's identity, to name it to a client.
func (ref resourceRef) stub() *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(ref.gvk())
	u.SetNamespace(ref.Namespace)
	u.SetName(ref.Name)
	return u
}

// statusRefs are the objects an Application's status lists.
func statusRefs(app *v1alpha1.Application) []resourceRef {
	out := make([]resourceRef, 0, len(app.Status.Resources))
	for _, rs := range app.Status.Resources {
		out = append(out, resourceRef{Group: rs.Group, Version: rs.Version, Kind: rs.Kind, Namespace: rs.Namespace, Name: rs.Name})
	}
	return out
}

// liveOf reads the live objects of refs that app tracks, skipping those
// missing and those tracked by another Application.
func (a *API) liveOf(ctx context.Context, dst *destination, app *v1alpha1.Application, refs []resourceRef) ([]*unstructured.Unstructured, error) {
	policy := a.trackingPolicy()
	var out []*unstructured.Unstructured
	for _, ref := range refs {
		live, err := dst.applier.Get(ctx, ref.stub())
		if meta.IsNoMatchError(err) {
			// A kind the cluster no longer serves has no live object.
			continue
		}
		if err != nil {
			return nil, err
		}
		if live == nil || !ownedBy(live, app.Name, policy) {
			continue
		}
		out = append(out, live)
	}
	return out, nil
}
