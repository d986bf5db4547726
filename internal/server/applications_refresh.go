package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// refreshTimeout bounds how long a GET with ?refresh waits for the
// controller: long enough for a hard refresh to fetch and render again.
const refreshTimeout = 2 * time.Minute

// refreshApp asks the controller to refresh app (the refresh annotation,
// "normal" or "hard") and waits until it has: the controller removes the
// annotation in a write after the refreshed status, so the first version
// without it carries the status of the refresh. The wait ends with the
// request, or after refreshTimeout with 504 (the annotation stays, for the
// controller to act on); without an informer cache the answer comes at
// once.
func (a *API) refreshApp(w http.ResponseWriter, r *http.Request, app *v1alpha1.Application, refresh string) (*v1alpha1.Application, bool) {
	if refresh != v1alpha1.RefreshTypeNormal && refresh != v1alpha1.RefreshTypeHard {
		writeError(w, http.StatusBadRequest, "refresh must be %q or %q, not %q", v1alpha1.RefreshTypeNormal, v1alpha1.RefreshTypeHard, refresh)
		return nil, false
	}
	ctx := r.Context()
	// Subscribe before the annotation is set, so that the controller's
	// answer cannot come unseen.
	sub, cancel, err := a.appEvents(ctx)
	if err != nil && !errors.Is(err, errNoInformers) {
		writeError(w, http.StatusServiceUnavailable, "%v", err)
		return nil, false
	}
	if cancel != nil {
		defer cancel()
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{v1alpha1.AnnotationRefresh: refresh}}})
	if err := a.Client.Patch(ctx, app, client.RawPatch(types.MergePatchType, patch)); err != nil {
		writeKubeError(w, err, "request a refresh of Application %s", app.Name)
		return nil, false
	}
	if sub == nil {
		return app, true
	}
	asked := app.ResourceVersion
	timeout := a.refreshTimeout
	if timeout <= 0 {
		timeout = refreshTimeout
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, false
		case <-deadline.C:
			writeError(w, http.StatusGatewayTimeout, "application refresh of %s: the controller did not answer within %s", app.Name, timeout)
			return nil, false
		case <-sub.gone:
			writeError(w, http.StatusServiceUnavailable, "application refresh of %s: fell behind the event stream", app.Name)
			return nil, false
		case ev := <-sub.events:
			if ev.App.Name != app.Name || !olderThan(asked, versionOf(ev.App)) {
				continue
			}
			if ev.Type == eventDeleted {
				writeError(w, http.StatusNotFound, "application %s was deleted during its refresh", app.Name)
				return nil, false
			}
			if _, pending := ev.App.Annotations[v1alpha1.AnnotationRefresh]; !pending {
				ctrl.LoggerFrom(ctx).V(1).Info("application refreshed", "application", app.Name, "refresh", refresh)
				return ev.App.DeepCopy(), true
			}
		}
	}
}

// versionOf is app's resourceVersion as a number; 0 when it is not one.
func versionOf(app *v1alpha1.Application) int64 {
	v, _ := strconv.ParseInt(app.ResourceVersion, 10, 64)
	return v
}
