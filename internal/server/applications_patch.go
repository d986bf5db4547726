package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// patchRequest is the body of PATCH /api/v1/applications/{name}.
type patchRequest struct {
	Name      string `json:"name,omitempty"`
	Patch     string `json:"patch"`
	PatchType string `json:"patchType,omitempty"`
}

// patchApplication answers PATCH /api/v1/applications/{name}: a JSON
// patch (the default) or a JSON merge patch of the Application, applied
// here and written as an update is (spec, labels, annotations,
// finalizers).
func (a *API) patchApplication(w http.ResponseWriter, r *http.Request) {
	var req patchRequest
	if !readJSON(w, r, &req) {
		return
	}
	app, ok := a.appFor(w, r, "update")
	if !ok {
		return
	}
	next, err := applyPatch(app, req.Patch, req.PatchType)
	if err != nil {
		writeError(w, http.StatusBadRequest, "patch Application %s: %v", app.Name, err)
		return
	}
	if next.Name != app.Name {
		writeError(w, http.StatusBadRequest, "patch Application %s: the patch renames it", app.Name)
		return
	}
	if updated, ok := a.checkedUpdate(w, r, app, next); ok {
		writeJSON(w, http.StatusOK, updated)
	}
}

// applyPatch applies a patch of patchType ("json", "merge"; empty is
// json) to app's JSON and reads the result.
func applyPatch(app *v1alpha1.Application, patch, patchType string) (*v1alpha1.Application, error) {
	doc, err := json.Marshal(app)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	var out []byte
	switch patchType {
	case "json", "":
		p, err := jsonpatch.DecodePatch([]byte(patch))
		if err != nil {
			return nil, fmt.Errorf("decode the JSON patch: %w", err)
		}
		if out, err = p.Apply(doc); err != nil {
			return nil, fmt.Errorf("apply the JSON patch: %w", err)
		}
	case "merge":
		if out, err = jsonpatch.MergePatch(doc, []byte(patch)); err != nil {
			return nil, fmt.Errorf("apply the merge patch: %w", err)
		}
	default:
		return nil, fmt.Errorf("patch type %q is not supported: use json or merge", patchType)
	}
	next := &v1alpha1.Application{}
	if err := json.Unmarshal(out, next); err != nil {
		return nil, fmt.Errorf("read the patched Application: %w", err)
	}
	return next, nil
}

// deleteApplication answers DELETE /api/v1/applications/{name}. As in
// Argo CD the delete cascades unless cascade=false: the resources
// finalizer of propagationPolicy (foreground when unset, background) is
// set first, so the controller deletes the Application's objects before
// the Application goes. cascade=false removes that finalizer, so the
// objects stay.
func (a *API) deleteApplication(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cascade := true
	if v := q.Get("cascade"); v != "" {
		var err error
		if cascade, err = strconv.ParseBool(v); err != nil {
			writeError(w, http.StatusBadRequest, "cascade %q is not a boolean", v)
			return
		}
	}
	policy := q.Get("propagationPolicy")
	finalizer, err := cascadeFinalizer(cascade, policy)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	app, ok := a.appFor(w, r, "delete")
	if !ok {
		return
	}
	ctx := r.Context()
	if want := withCascade(app.Finalizers, finalizer); !slices.Equal(want, app.Finalizers) {
		_, err := a.writeApp(ctx, app, func(cur *v1alpha1.Application) error {
			cur.Finalizers = withCascade(cur.Finalizers, finalizer)
			return nil
		})
		if err != nil {
			writeKubeError(w, err, "set the finalizers of Application %s", app.Name)
			return
		}
	}
	if err := a.Client.Delete(ctx, app, client.Preconditions{UID: &app.UID}); err != nil {
		writeKubeError(w, err, "delete Application %s", app.Name)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// cascadeFinalizer is the resources finalizer a delete sets: none without
// cascade.
func cascadeFinalizer(cascade bool, policy string) (string, error) {
	if !cascade {
		if policy != "" {
			return "", fmt.Errorf("cannot set propagation policy when cascading is disabled")
		}
		return "", nil
	}
	switch strings.ToLower(policy) {
	case "":
		return v1alpha1.ResourcesFinalizer, nil
	case "foreground":
		return v1alpha1.ForegroundResourcesFinalizer, nil
	case "background":
		return v1alpha1.BackgroundResourcesFinalizer, nil
	}
	return "", fmt.Errorf("invalid propagation policy: %s", policy)
}

// withCascade is finalizers with finalizer as its only resources
// finalizer; an empty finalizer removes them all. An Application that
// already has finalizer keeps its list as is.
func withCascade(finalizers []string, finalizer string) []string {
	if finalizer != "" && slices.Contains(finalizers, finalizer) {
		return finalizers
	}
	out := slices.DeleteFunc(slices.Clone(finalizers), isResourcesFinalizer)
	if finalizer != "" {
		out = append(out, finalizer)
	}
	return out
}

func isResourcesFinalizer(f string) bool {
	return f == v1alpha1.ResourcesFinalizer || f == v1alpha1.ForegroundResourcesFinalizer || f == v1alpha1.BackgroundResourcesFinalizer
}
