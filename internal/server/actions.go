package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/actions"
	"github.com/capstan-cd/capstan/internal/project"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// actionRoutes are the resource action endpoints: which actions an
// object of an Application offers, and running one.
func (a *API) actionRoutes() []route {
	const path = "/api/v1/applications/{name}/resource/actions"
	return []route{
		{pattern: "GET " + path, handle: a.listActions, doc: "List the resource actions an object of the Application offers", query: appResourceQuery},
		{pattern: "POST " + path, handle: a.runAction, doc: "Run a resource action on an object of the Application", query: queryOf(appResourceQuery, "action")},
		{pattern: "POST " + path + "/v2", handle: a.runAction, doc: "Run a resource action on an object of the Application", query: queryOf(appResourceQuery, "action")},
	}
}

// actionList is Argo CD's ResourceActionsListResponse.
type actionList struct {
	Actions []actions.Action `json:"actions"`
}

// listActions answers GET .../resource/actions: the actions the object
// the query names offers, to a caller who may get the Application.
func (a *API) listActions(w http.ResponseWriter, r *http.Request) {
	_, _, live, ok := a.appResource(w, r, "get")
	if !ok {
		return
	}
	found, err := a.settingsNow().Actions.Discover(r.Context(), live)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, actionList{Actions: found})
}

// actionRequest is Argo CD's ResourceActionRunRequest. Its fields may
// come in the query, in the body, or (the first version of the endpoint)
// the action alone as the body, a JSON string; the body wins.
type actionRequest struct {
	Action       string          `json:"action"`
	Namespace    string          `json:"namespace"`
	ResourceName string          `json:"resourceName"`
	Version      string          `json:"version"`
	Group        string          `json:"group"`
	Kind         string          `json:"kind"`
	Params       []actions.Param `json:"resourceActionParameters"`
}

// readActionRequest reads the request and puts the object's fields into
// r's query, where appResource reads them.
func readActionRequest(w http.ResponseWriter, r *http.Request) (actionRequest, bool) {
	var body json.RawMessage
	if !readJSON(w, r, &body) {
		return actionRequest{}, false
	}
	q := r.URL.Query()
	req := actionRequest{Action: q.Get("action")}
	if len(body) > 0 {
		var name string
		if err := json.Unmarshal(body, &name); err == nil {
			req.Action = name
		} else if err := json.Unmarshal(body, &req); err != nil {
			writeError(w, http.StatusBadRequest, "read the request body: %v", err)
			return actionRequest{}, false
		}
	}
	for key, v := range map[string]string{"namespace": req.Namespace, "resourceName": req.ResourceName, "version": req.Version, "group": req.Group, "kind": req.Kind} {
		if v != "" {
			q.Set(key, v)
		}
	}
	r.URL.RawQuery = q.Encode()
	if req.Action == "" {
		writeError(w, http.StatusBadRequest, "action is required")
		return actionRequest{}, false
	}
	return req, true
}

// runAction answers POST .../resource/actions: it runs the action on the
// live object and writes what the action asks for to the destination
// cluster, to a caller allowed action/<group>/<kind>/<action> on the
// Application. A patch may touch only objects of the Application; a
// create only what the Application's project would let it create.
func (a *API) runAction(w http.ResponseWriter, r *http.Request) {
	req, ok := readActionRequest(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	rbac := strings.Join([]string{"action", q.Get("group"), q.Get("kind"), req.Action}, "/")
	app, dst, live, ok := a.appResourceAs(w, r, rbac)
	if !ok {
		return
	}
	params := map[string]string{}
	for _, p := range req.Params {
		params[p.Name] = p.Value
	}
	// An object that changed between the read and the write (a
	// Deployment's status, as it rolls out) is read again and the action
	// run again on it, as kubectl does: the write never undoes a change
	// it did not see, and a busy object does not fail the request.
	first := true
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if !first {
			fresh, err := dst.applier.Get(r.Context(), live)
			if err != nil {
				return err
			}
			if fresh == nil {
				return apierrors.NewNotFound(schema.GroupResource{Group: live.GroupVersionKind().Group, Resource: live.GetKind()}, live.GetName())
			}
			live = fresh
		}
		first = false
		return a.runOnce(r.Context(), app, dst, live, req.Action, params)
	})
	var unknown *actions.UnknownError
	var refused *refusedError
	switch {
	case errors.As(err, &unknown):
		writeError(w, http.StatusBadRequest, "%v", err)
	case errors.As(err, &refused):
		writeError(w, http.StatusForbidden, "action %s: %v", req.Action, err)
	case errors.As(err, new(*actions.ScriptError)):
		writeError(w, http.StatusInternalServerError, "%v", err)
	case err != nil:
		writeKubeError(w, err, "action %s on %s", req.Action, tracking.Describe(live))
	default:
		ctrl.LoggerFrom(r.Context()).Info("resource action run", "application", app.Name, "action", req.Action, "object", tracking.Describe(live), "user", callerName(r))
		writeJSON(w, http.StatusOK, struct{}{})
	}
}

// runOnce runs action on live and writes what it asks for.
func (a *API) runOnce(ctx context.Context, app *v1alpha1.Application, dst *destination, live *unstructured.Unstructured, action string, params map[string]string) error {
	ops, err := a.settingsNow().Actions.Run(ctx, live, action, params)
	if err != nil {
		return err
	}
	if err := a.permitOperations(ctx, app, dst, live, ops); err != nil {
		return err
	}
	return actions.Apply(ctx, destWriter{dst}, live, ops)
}

// refusedError is an action's write that the Application may not make.
type refusedError struct{ err error }

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// permitOperations checks what an action asks for: another object it
// patches must be the Application's, an object it creates must pass the
// project's rules for the Application's destination.
func (a *API) permitOperations(ctx context.Context, app *v1alpha1.Application, dst *destination, live *unstructured.Unstructured, ops []actions.Operation) error {
	var proj *v1alpha1.AppProject
	for _, op := range ops {
		obj := op.Object
		switch op.Type {
		case actions.OpPatch:
			if sameIdentity(obj, live) {
				continue
			}
			other, err := dst.applier.Get(ctx, obj)
			if err != nil {
				return err
			}
			if other == nil {
				return &refusedError{fmt.Errorf("%s does not exist", tracking.Describe(obj))}
			}
			ok, err := a.belongs(ctx, dst, app.Name, other)
			if err != nil {
				return err
			}
			if !ok {
				return &refusedError{fmt.Errorf("%s is not a resource of application %s", tracking.Describe(obj), app.Name)}
			}
		case actions.OpCreate:
			if proj == nil {
				var err error
				if proj, err = a.projectNamed(ctx, projectOf(app)); err != nil {
					return err
				}
			}
			if obj.GetNamespace() == "" {
				obj.SetNamespace(live.GetNamespace())
			}
			namespaced, known := dst.applier.Namespaced(obj.GroupVersionKind())
			if err := project.PermitsObject(proj, app.Spec.Destination, obj, namespaced, known); err != nil {
				return &refusedError{err}
			}
		}
	}
	return nil
}

func sameIdentity(a, b *unstructured.Unstructured) bool {
	return a.GroupVersionKind() == b.GroupVersionKind() && a.GetNamespace() == b.GetNamespace() && a.GetName() == b.GetName()
}

// destWriter writes an action's objects with a destination's clients.
type destWriter struct{ dst *destination }

func (d destWriter) resource(obj *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	m, err := d.dst.applier.Mapping(obj.GroupVersionKind())
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return d.dst.dynamic.Resource(m.Resource).Namespace(obj.GetNamespace()), nil
	}
	return d.dst.dynamic.Resource(m.Resource), nil
}

func (d destWriter) MergePatch(ctx context.Context, obj *unstructured.Unstructured, patch []byte) error {
	res, err := d.resource(obj)
	if err != nil {
		return err
	}
	_, err = res.Patch(ctx, obj.GetName(), types.MergePatchType, patch, metav1.PatchOptions{FieldManager: actions.FieldManager})
	return err
}

func (d destWriter) Create(ctx context.Context, obj *unstructured.Unstructured) error {
	res, err := d.resource(obj)
	if err != nil {
		return err
	}
	_, err = res.Create(ctx, obj, metav1.CreateOptions{FieldManager: actions.FieldManager})
	return err
}
