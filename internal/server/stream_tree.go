package server

import (
	"bytes"
	"encoding/json"
	"net/http"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// streamResourceTree answers GET
// /api/v1/stream/applications/{name}/resource-tree: the Application's
// resource tree at once, {"result": tree}, then again whenever the
// Application changes and its tree with it. The tree is made afresh from
// the live objects on each change of the Application, not on each change
// of its objects; the stream ends when the Application goes or the caller
// may no longer get it.
func (a *API) streamResourceTree(w http.ResponseWriter, r *http.Request) {
	app, dst, ok := a.appWithDestination(w, r, "get")
	if !ok {
		return
	}
	ctx := r.Context()
	sub, out, cancel, ok := a.openEvents(w, r)
	if !ok {
		return
	}
	defer cancel()
	var last []byte
	send := func(app *v1alpha1.Application) error {
		objs, err := a.treeObjects(ctx, dst, app)
		if err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "resource tree for a stream", "application", app.Name)
			return nil // the next change tries again
		}
		data, err := json.Marshal(struct {
			Result applicationTree `json:"result"`
		}{applicationTree{Nodes: a.nodes(ctx, objs), OrphanedNodes: []resourceNode{}, Hosts: []any{}}})
		if err != nil || bytes.Equal(data, last) {
			return err
		}
		last = data
		if err := out.writeData(data); err != nil {
			return err
		}
		return out.flush()
	}
	if send(app) != nil {
		return
	}
	follow(r, sub, out, func(ev *appEvent) (bool, error) {
		switch {
		case ev.App.Name != app.Name:
			return false, nil
		case ev.Type == eventDeleted || !a.can(r, resourceApplications, "get", cachedRBACObject(ev.App)):
			return true, nil
		}
		changed, err := ev.application()
		if err != nil {
			return true, err
		}
		if next, err := a.destinationOf(ctx, changed); err == nil {
			dst = next
		}
		return false, send(changed)
	})
}
