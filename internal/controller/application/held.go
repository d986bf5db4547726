package application

import (
	gosync "sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// defaultStatusHold is Options.StatusHold's default.
const defaultStatusHold = 3 * time.Second

// heldStatuses keeps, per Application, a status a pass chose not to write
// yet (holdStatus), with the status the cache held then. The next pass
// starts from it, as it would from the status had it been written: one
// write then records the sync and the health its objects reached, where
// two would record the sync, Progressing, and then Healthy.
type heldStatuses struct {
	mu gosync.Mutex
	m  map[string]heldStatus
}

type heldStatus struct {
	cached, status v1alpha1.ApplicationStatus
}

func (h *heldStatuses) put(app string, cached, status *v1alpha1.ApplicationStatus) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]heldStatus{}
	}
	h.m[app] = heldStatus{cached: *cached.DeepCopy(), status: *status.DeepCopy()}
}

// get returns the status held for app, if the cache still holds the
// status it held then: a status written since, by anyone, wins. It stays
// held until a pass writes it or holds another (a pass that fails before
// its end finds it again next time).
func (h *heldStatuses) get(app string, cached *v1alpha1.ApplicationStatus) (*v1alpha1.ApplicationStatus, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	held, ok := h.m[app]
	if !ok {
		return nil, false
	}
	if !equality.Semantic.DeepEqual(held.cached, *cached) {
		delete(h.m, app)
		return nil, false
	}
	return held.status.DeepCopy(), true
}

func (h *heldStatuses) forget(app string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.m, app)
}

// holdStatus decides whether the status of a pass is held in memory
// rather than written, and for how long at most. It is, while an
// automated sync that succeeded no more than Options.StatusHold ago is not
// written yet and the Application is Progressing: its objects are
// becoming healthy (a Deployment's Pods starting), and the watch brings
// their progress within moments. Anything a person or another program
// waits on is written at once: a requested operation, a refresh, a sync
// that failed, an error of the pass.
func (r *Reconciler) holdStatus(st *state, before *v1alpha1.Application) (time.Duration, bool) {
	app := st.app
	os := app.Status.OperationState
	if st.refresh != "" || before.Operation != nil || app.Operation != nil || os == nil || os.FinishedAt == nil ||
		os.Phase != v1alpha1.OperationSucceeded || !os.Operation.InitiatedBy.Automated ||
		app.Status.Health.Status != v1alpha1.HealthStatusProgressing ||
		equality.Semantic.DeepEqual(before.Status.OperationState, os) {
		return 0, false
	}
	hold := r.Opts.StatusHold
	if hold == 0 {
		hold = defaultStatusHold
	}
	left := os.FinishedAt.Add(hold).Sub(r.Clock.Now())
	if left <= 0 {
		return 0, false
	}
	r.held.put(appKey(app), &before.Status, &app.Status)
	return left, true
}

// heldRequeue is when a pass that held the status comes back: when the
// hold runs out (left), or at its next pass if that is sooner. A next
// pass of 0 is none (polling is off): the hold's end still brings one.
func heldRequeue(left, next time.Duration) time.Duration {
	if next > 0 && next < left {
		return next
	}
	return left
}
