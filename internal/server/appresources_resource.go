package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/apply"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// resourceResponse is Argo CD's ApplicationResourceResponse: the object
// as a JSON string.
type resourceResponse struct {
	Manifest string `json:"manifest"`
}

// appResourceQuery are the query parameters of the endpoints on one
// object of an Application: the Application's, and those queryRef reads.
var appResourceQuery = queryOf(appLookupQuery, "namespace", "resourceName", "version", "group", "kind")

// queryRef reads the object a /resource request names from its query:
// resourceName, namespace, group, version, kind.
func queryRef(r *http.Request) (resourceRef, error) {
	q := r.URL.Query()
	ref := resourceRef{Group: q.Get("group"), Version: q.Get("version"), Kind: q.Get("kind"), Namespace: q.Get("namespace"), Name: q.Get("resourceName")}
	if ref.Kind == "" || ref.Name == "" || ref.Version == "" {
		return ref, fmt.Errorf("resourceName, version and kind are required")
	}
	return ref, nil
}

// subresourceAction is Argo CD's RBAC action on one object of an app:
// update/<group>/<kind>/<namespace>/<name>, delete/... .
func subresourceAction(verb string, ref resourceRef) string {
	return strings.Join([]string{verb, ref.Group, ref.Kind, ref.Namespace, ref.Name}, "/")
}

// appResource loads the app, checks action, and reads the live object the
// query names, refusing an object that is not the app's.
func (a *API) appResource(w http.ResponseWriter, r *http.Request, verb string) (*v1alpha1.Application, *destination, *unstructured.Unstructured, bool) {
	ref, err := queryRef(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return nil, nil, nil, false
	}
	action := "get"
	if verb != "get" {
		action = subresourceAction(verb, ref)
	}
	return a.appResourceAs(w, r, action)
}

// appResourceAs is appResource with the RBAC action given whole (a
// resource action's action/<group>/<kind>/<name>).
func (a *API) appResourceAs(w http.ResponseWriter, r *http.Request, action string) (*v1alpha1.Application, *destination, *unstructured.Unstructured, bool) {
	ref, err := queryRef(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return nil, nil, nil, false
	}
	app, dst, ok := a.appWithDestination(w, r, action)
	if !ok {
		return nil, nil, nil, false
	}
	live, err := dst.applier.Get(r.Context(), ref.stub())
	if err != nil {
		writeKubeError(w, err, "application %s", app.Name)
		return nil, nil, nil, false
	}
	if live != nil {
		ok, err = a.belongs(r.Context(), dst, app.Name, live)
		if err != nil {
			writeKubeError(w, err, "application %s", app.Name)
			return nil, nil, nil, false
		}
	}
	if live == nil || !ok {
		// Missing and foreign look alike: the answer says nothing of
		// objects outside the app.
		writeError(w, http.StatusNotFound, "%s is not a resource of application %s", tracking.Describe(ref.stub()), app.Name)
		return nil, nil, nil, false
	}
	return app, dst, live, true
}

func (a *API) getResource(w http.ResponseWriter, r *http.Request) {
	_, _, live, ok := a.appResource(w, r, "get")
	if !ok {
		return
	}
	a.writeManifest(w, live)
}

// writeManifest answers obj as a resourceResponse, Secret values masked.
func (a *API) writeManifest(w http.ResponseWriter, obj *unstructured.Unstructured) {
	shown := masked(a.sensitiveAnnotations(), withoutManagedFields(obj))[0]
	data, err := json.Marshal(shown.Object)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encode %s: %v", tracking.Describe(obj), err)
		return
	}
	writeJSON(w, http.StatusOK, resourceResponse{Manifest: string(data)})
}

// patchTypes are the patch types a /resource POST accepts.
var patchTypes = map[string]types.PatchType{
	"":                                       types.MergePatchType,
	"application/merge-patch+json":           types.MergePatchType,
	"application/json-patch+json":            types.JSONPatchType,
	"application/strategic-merge-patch+json": types.StrategicMergePatchType,
}

func (a *API) patchResource(w http.ResponseWriter, r *http.Request) {
	pt, ok := patchTypes[r.URL.Query().Get("patchType")]
	if !ok {
		writeError(w, http.StatusBadRequest, "unknown patchType %q", r.URL.Query().Get("patchType"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err != nil {
		writeError(w, http.StatusBadRequest, "read the request body: %v", err)
		return
	}
	app, dst, live, ok := a.appResource(w, r, "update")
	if !ok {
		return
	}
	m, err := dst.applier.Mapping(live.GroupVersionKind())
	if err != nil {
		writeKubeError(w, err, "application %s", app.Name)
		return
	}
	res := dst.dynamic.Resource(m.Resource).Namespace(live.GetNamespace())
	out, err := res.Patch(r.Context(), live.GetName(), pt, patchBody(body), metav1.PatchOptions{FieldManager: apply.FieldManager})
	if err != nil {
		writeKubeError(w, err, "patch %s", tracking.Describe(live))
		return
	}
	a.writeManifest(w, out)
}

// patchBody is the patch of a request body: Argo CD's clients send it as a
// JSON string holding the patch; a bare JSON patch is taken as it is.
func patchBody(body []byte) []byte {
	var s string
	if json.Unmarshal(body, &s) == nil {
		return []byte(s)
	}
	return body
}

func (a *API) deleteResource(w http.ResponseWriter, r *http.Request) {
	app, dst, live, ok := a.appResource(w, r, "delete")
	if !ok {
		return
	}
	q := r.URL.Query()
	policy := metav1.DeletePropagationForeground
	if orphan, _ := strconv.ParseBool(q.Get("orphan")); orphan {
		policy = metav1.DeletePropagationOrphan
	}
	opts := metav1.DeleteOptions{PropagationPolicy: &policy, Preconditions: &metav1.Preconditions{UID: ptrUID(live.GetUID())}}
	if force, _ := strconv.ParseBool(q.Get("force")); force {
		zero := int64(0)
		opts.GracePeriodSeconds = &zero
	}
	m, err := dst.applier.Mapping(live.GroupVersionKind())
	if err != nil {
		writeKubeError(w, err, "application %s", app.Name)
		return
	}
	if err := dst.dynamic.Resource(m.Resource).Namespace(live.GetNamespace()).Delete(r.Context(), live.GetName(), opts); err != nil {
		writeKubeError(w, err, "delete %s", tracking.Describe(live))
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

func ptrUID(u types.UID) *types.UID { return &u }

// withoutManagedFields is a copy of obj without its managed fields, which
// a user never edits and which make most of an object's size.
func withoutManagedFields(obj *unstructured.Unstructured) *unstructured.Unstructured {
	if obj == nil {
		return nil
	}
	c := obj.DeepCopy()
	c.SetManagedFields(nil)
	return c
}
