package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/appcache"
)

// refreshTimeout bounds how long a GET with ?refresh waits for the
// controller: long enough for a hard refresh to fetch and render again.
const refreshTimeout = 2 * time.Minute

// refreshApp asks the controller to refresh app (the refresh annotation,
// "normal" or "hard") and waits until it has: the controller removes the
// annotation in a write after the refreshed status, so the first version
// without it carries the status of the refresh. When the same refresh is
// pending already, the pass that takes it may have begun before this
// request: that one is waited for, and the refresh asked for again. The
// wait ends with the request, or after refreshTimeout with 504 (the
// annotation stays, for the controller to act on); without an informer
// cache the answer comes at once.
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
	wait := refreshWait{sub: sub, timeout: a.refreshTimeout}
	if wait.timeout <= 0 {
		wait.timeout = refreshTimeout
	}
	deadline := time.NewTimer(wait.timeout)
	defer deadline.Stop()
	wait.deadline = deadline.C
	if sub != nil && app.Annotations[v1alpha1.AnnotationRefresh] == refresh {
		// Setting it again would change nothing the controller sees.
		taken, err := wait.answer(ctx, app)
		if err != nil {
			writeRefreshError(w, app, err)
			return nil, false
		}
		app = taken
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{v1alpha1.AnnotationRefresh: refresh}}})
	if err := a.Client.Patch(ctx, app, client.RawPatch(types.MergePatchType, patch)); err != nil {
		writeKubeError(w, err, "request a refresh of Application %s", app.Name)
		return nil, false
	}
	if sub == nil {
		return app, true
	}
	refreshed, err := wait.answer(ctx, app)
	if err != nil {
		writeRefreshError(w, app, err)
		return nil, false
	}
	ctrl.LoggerFrom(ctx).V(1).Info("application refreshed", "application", app.Name, "refresh", refresh)
	return refreshed, true
}

// refreshWait is the wait of one refresh request for the controller.
type refreshWait struct {
	sub      *subscriber
	timeout  time.Duration
	deadline <-chan time.Time
}

// Why a refresh was not answered.
var (
	errRefreshTimeout = errors.New("the controller did not answer in time")
	errRefreshBehind  = errors.New("fell behind the event stream")
	errRefreshDeleted = errors.New("the Application was deleted during its refresh")
)

// answer waits for the first version of app after its own that carries
// no refresh annotation: the controller's answer to a refresh.
func (rw refreshWait) answer(ctx context.Context, app *v1alpha1.Application) (*v1alpha1.Application, error) {
	asked := app.ResourceVersion
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-rw.deadline:
			return nil, fmt.Errorf("%w: not within %s", errRefreshTimeout, rw.timeout)
		case <-rw.sub.gone:
			return nil, errRefreshBehind
		case ev := <-rw.sub.events:
			if ev.App.Name != app.Name || !olderThan(asked, appcache.VersionOf(ev.App)) {
				continue
			}
			if ev.Type == eventDeleted {
				return nil, errRefreshDeleted
			}
			if _, pending := ev.App.Annotations[v1alpha1.AnnotationRefresh]; !pending {
				return ev.App.Expand()
			}
		}
	}
}

// writeRefreshError answers a refresh of app that was not answered.
func writeRefreshError(w http.ResponseWriter, app *v1alpha1.Application, err error) {
	status := http.StatusServiceUnavailable
	switch {
	case errors.Is(err, errRefreshTimeout):
		status = http.StatusGatewayTimeout
	case errors.Is(err, errRefreshDeleted):
		status = http.StatusNotFound
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return // the client is gone
	}
	writeError(w, status, "application refresh of %s: %v", app.Name, err)
}
