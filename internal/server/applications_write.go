package server

import (
	"context"
	"maps"
	"net/http"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// createApplication answers POST /api/v1/applications. The project must
// allow the Application's sources and destination. An Application of the
// same name and content is answered as created; one that differs is 409
// unless upsert=true, which updates it (and needs the update permission).
// An operation in the body is dropped: only the sync endpoint starts one.
func (a *API) createApplication(w http.ResponseWriter, r *http.Request) {
	app := &v1alpha1.Application{}
	if !readJSON(w, r, app) {
		return
	}
	q := r.URL.Query()
	if app.Namespace == "" {
		app.Namespace = a.Namespace
	}
	if !a.namespaceServed(w, app.Namespace) || !a.allowed(w, r, resourceApplications, "create", rbacObject(app)) {
		return
	}
	if _, err := a.checkSpec(r.Context(), app, q.Get("validate") != "false"); err != nil {
		writeSpecError(w, err, app.Name)
		return
	}
	fresh := newApp(app)
	err := a.Client.Create(r.Context(), fresh)
	if err == nil {
		writeJSON(w, http.StatusOK, fresh)
		return
	}
	if !apierrors.IsAlreadyExists(err) {
		writeKubeError(w, err, "create Application %s", app.Name)
		return
	}
	existing := &v1alpha1.Application{}
	if err := a.Client.Get(r.Context(), client.ObjectKeyFromObject(fresh), existing); err != nil {
		writeKubeError(w, err, "get Application %s", app.Name)
		return
	}
	switch {
	case sameApp(existing, fresh):
		writeJSON(w, http.StatusOK, existing)
		return
	case q.Get("upsert") != "true":
		writeError(w, http.StatusConflict, "existing application spec is different, use upsert flag to force update")
		return
	case !a.allowed(w, r, resourceApplications, "update", rbacObject(existing)) || !a.allowed(w, r, resourceApplications, "update", rbacObject(fresh)):
		return
	}
	if updated, ok := a.update(w, r, existing, fresh, true); ok {
		writeJSON(w, http.StatusOK, updated)
	}
}

// newApp is the Application to create from what a caller sent: its
// name, labels, annotations, finalizers and spec, without what the API
// server assigns, a status or an operation.
func newApp(app *v1alpha1.Application) *v1alpha1.Application {
	out := &v1alpha1.Application{Spec: app.Spec}
	out.Name, out.Namespace = app.Name, app.Namespace
	out.Labels, out.Annotations, out.Finalizers = app.Labels, app.Annotations, app.Finalizers
	return out
}

// sameApp reports whether b would change nothing that an update writes.
func sameApp(a, b *v1alpha1.Application) bool {
	return equality.Semantic.DeepEqual(a.Spec, b.Spec) && equality.Semantic.DeepEqual(a.Labels, b.Labels) &&
		equality.Semantic.DeepEqual(a.Annotations, b.Annotations) && equality.Semantic.DeepEqual(a.Finalizers, b.Finalizers)
}

// updateApplication answers PUT /api/v1/applications/{name}: the body's
// spec, labels, annotations and finalizers replace the Application's;
// its status and operation are not the caller's to write.
func (a *API) updateApplication(w http.ResponseWriter, r *http.Request) {
	next := &v1alpha1.Application{}
	if !readJSON(w, r, next) {
		return
	}
	if next.Name != "" && next.Name != r.PathValue("name") {
		writeError(w, http.StatusBadRequest, "the body names Application %s, the path %s", next.Name, r.PathValue("name"))
		return
	}
	app, ok := a.appFor(w, r, "update")
	if !ok {
		return
	}
	next.Name = app.Name
	if updated, ok := a.checkedUpdate(w, r, app, next); ok {
		writeJSON(w, http.StatusOK, updated)
	}
}

// updateApplicationSpec answers PUT /api/v1/applications/{name}/spec with
// the spec written.
func (a *API) updateApplicationSpec(w http.ResponseWriter, r *http.Request) {
	spec := v1alpha1.ApplicationSpec{}
	if !readJSON(w, r, &spec) {
		return
	}
	app, ok := a.appFor(w, r, "update")
	if !ok {
		return
	}
	next := app.DeepCopy()
	next.Spec = spec
	if updated, ok := a.checkedUpdate(w, r, app, next); ok {
		writeJSON(w, http.StatusOK, updated.Spec)
	}
}

// checkedUpdate checks next as a create would (a move to another project
// needs the update permission there too) and writes it over app.
func (a *API) checkedUpdate(w http.ResponseWriter, r *http.Request, app, next *v1alpha1.Application) (*v1alpha1.Application, bool) {
	if projectOf(next) != projectOf(app) && !a.allowed(w, r, resourceApplications, "update", rbacObject(next)) {
		return nil, false
	}
	if _, err := a.checkSpec(r.Context(), next, r.URL.Query().Get("validate") != "false"); err != nil {
		writeSpecError(w, err, app.Name)
		return nil, false
	}
	return a.update(w, r, app, next, false)
}

// update writes next over app (merging labels and annotations when
// merge), answering the request when it fails.
func (a *API) update(w http.ResponseWriter, r *http.Request, app, next *v1alpha1.Application, merge bool) (*v1alpha1.Application, bool) {
	updated, err := a.writeApp(r.Context(), app, func(cur *v1alpha1.Application) error {
		copyUpdatable(cur, next, merge)
		return nil
	})
	if err != nil {
		writeKubeError(w, err, "update Application %s", app.Name)
		return nil, false
	}
	return updated, true
}

// copyUpdatable copies what an update writes from next onto cur: spec,
// labels, annotations (merged into cur's with merge) and finalizers.
func copyUpdatable(cur, next *v1alpha1.Application, merge bool) {
	cur.Spec = next.Spec
	cur.Finalizers = next.Finalizers
	if !merge {
		cur.Labels, cur.Annotations = next.Labels, next.Annotations
		return
	}
	cur.Labels = mergeMaps(cur.Labels, next.Labels)
	cur.Annotations = mergeMaps(cur.Annotations, next.Annotations)
}

func mergeMaps(base, over map[string]string) map[string]string {
	if len(over) == 0 {
		return base
	}
	out := maps.Clone(base)
	if out == nil {
		out = make(map[string]string, len(over))
	}
	maps.Copy(out, over)
	return out
}

// writeApp applies change to the Application and updates it, starting
// from app (a copy of the cache's) and, after a conflict, from a fresh
// read: change decides again on what is current, and may refuse.
func (a *API) writeApp(ctx context.Context, app *v1alpha1.Application, change func(*v1alpha1.Application) error) (*v1alpha1.Application, error) {
	return a.writeWith(ctx, app, func(cur *v1alpha1.Application) (bool, error) { return false, change(cur) })
}

// writeWith is writeApp for a change that may be to the status: change
// reports which it made, and it is written to the status subresource.
func (a *API) writeWith(ctx context.Context, app *v1alpha1.Application, change func(*v1alpha1.Application) (status bool, err error)) (*v1alpha1.Application, error) {
	cur := app.DeepCopy()
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		status, err := change(cur)
		switch {
		case err != nil:
			return err
		case status:
			err = a.Client.Status().Update(ctx, cur)
		default:
			err = a.Client.Update(ctx, cur)
		}
		if apierrors.IsConflict(err) {
			fresh := &v1alpha1.Application{}
			if gerr := a.Client.Get(ctx, client.ObjectKeyFromObject(app), fresh); gerr != nil {
				return gerr
			}
			cur = fresh
		}
		return err
	})
	return cur, err
}
