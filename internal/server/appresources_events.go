package server

import (
	"context"
	"net/http"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

var eventsResource = schema.GroupVersionResource{Version: "v1", Resource: "events"}

// events answers the Events of the Application itself, or, with
// resourceUID or resourceName and resourceNamespace, those of one object
// of its tree (and of no other object).
func (a *API) events(w http.ResponseWriter, r *http.Request) {
	app, ok := a.appFor(w, r, "get")
	if !ok {
		return
	}
	q := r.URL.Query()
	uid, name, ns := q.Get("resourceUID"), q.Get("resourceName"), q.Get("resourceNamespace")
	if uid == "" && name == "" {
		cp, err := a.controlPlane()
		if err != nil {
			writeBackendError(w, err, "application %s: events", app.Name)
			return
		}
		a.writeEvents(w, r.Context(), cp, a.Namespace, fields.OneTermEqualSelector("involvedObject.uid", string(app.UID)))
		return
	}
	dst, ok := a.destinationFor(w, r, app)
	if !ok {
		return
	}
	objs, err := a.treeObjects(r.Context(), dst, app)
	if err != nil {
		writeKubeError(w, err, "application %s: resource tree", app.Name)
		return
	}
	obj := findInTree(objs, uid, ns, name)
	if obj == nil {
		writeError(w, http.StatusNotFound, "no resource %s/%s (uid %s) in application %s", ns, name, uid, app.Name)
		return
	}
	a.writeEvents(w, r.Context(), dst.dynamic, obj.GetNamespace(), fields.OneTermEqualSelector("involvedObject.uid", string(obj.GetUID())))
}

// findInTree is the object of objs with uid, or else with namespace and
// name; nil when none.
func findInTree(objs []*unstructured.Unstructured, uid, namespace, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if uid != "" && string(o.GetUID()) == uid {
			return o
		}
		if uid == "" && o.GetName() == name && o.GetNamespace() == namespace {
			return o
		}
	}
	return nil
}

// writeEvents answers the Events of namespace matched by sel, as an
// EventList.
func (a *API) writeEvents(w http.ResponseWriter, ctx context.Context, c dynamic.Interface, namespace string, sel fields.Selector) {
	list, err := c.Resource(eventsResource).Namespace(namespace).List(ctx, metav1.ListOptions{FieldSelector: sel.String()})
	if err != nil {
		writeKubeError(w, err, "list events")
		return
	}
	if list.Items == nil {
		list.Items = []unstructured.Unstructured{}
	}
	writeJSON(w, http.StatusOK, list)
}

// controlPlane is a client of the cluster capstan runs in, for reads the
// informer cache does not hold (Events are not watched: there are too
// many).
func (a *API) controlPlane() (dynamic.Interface, error) {
	b := a.Backends
	if b == nil || b.InCluster == nil {
		return nil, errNoBackend
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.controlPlane == nil {
		c, err := dynamic.NewForConfig(b.InCluster)
		if err != nil {
			return nil, err
		}
		b.controlPlane = c
	}
	return b.controlPlane, nil
}
