package application

import (
	"crypto/sha256"
	"encoding/json"
	gosync "sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/deflate"
)

// defaultStatusHold is Options.StatusHold's default.
const defaultStatusHold = 3 * time.Second

// heldStatuses keeps, per Application, a status a pass chose not to write
// yet (holdStatus), with the status the cache held then. The next pass
// starts from it, as it would from the status had it been written: one
// write then records the sync and the health its objects reached, where
// two would record the sync, Progressing, and then Healthy.
//
// Each is kept as the JSON the write would send, deflated against the
// first status held, and the status the cache held as a digest of its
// JSON: some 150 bytes for a status of five objects (some 600 deflated
// alone), which decoded takes 3.5 KB, the copy of the cached status
// aside. A cold sync of 10,000 Applications holds thousands at once, each
// until its pass comes round (36.5 MB of a 135 MB heap at its peak, kept
// decoded). Decoded from JSON, a held status is what the pass would read
// back had it been written: its times in whole seconds.
type heldStatuses struct {
	mu gosync.Mutex
	m  map[string]heldStatus
	// family compresses the statuses against the first one held: the
	// statuses of Applications of one shape differ in a few names.
	family deflate.Family
}

type heldStatus struct {
	cached [sha256.Size]byte
	status []byte
	dict   *deflate.Dict
}

// put holds status, and reports whether it could: a status that does not
// encode is written instead.
func (h *heldStatuses) put(app string, cached, status *v1alpha1.ApplicationStatus) bool {
	digest, err := statusDigest(cached)
	if err != nil {
		return false
	}
	data, err := json.Marshal(status)
	if err != nil {
		return false
	}
	packed, dict, err := h.family.Compress(data)
	if err != nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]heldStatus{}
	}
	h.m[app] = heldStatus{cached: digest, status: packed, dict: dict}
	return true
}

// get returns the status held for app, if the cache still holds the
// status it held then: a status written since, by anyone, wins. It stays
// held until a pass writes it or holds another (a pass that fails before
// its end finds it again next time).
func (h *heldStatuses) get(app string, cached *v1alpha1.ApplicationStatus) (*v1alpha1.ApplicationStatus, bool) {
	h.mu.Lock()
	held, ok := h.m[app]
	h.mu.Unlock()
	if !ok {
		return nil, false
	}
	digest, err := statusDigest(cached)
	if err != nil || digest != held.cached {
		h.forget(app)
		return nil, false
	}
	data, err := deflate.Expand(held.status, held.dict)
	if err != nil {
		h.forget(app)
		return nil, false
	}
	status := &v1alpha1.ApplicationStatus{}
	if err := json.Unmarshal(data, status); err != nil {
		h.forget(app)
		return nil, false
	}
	return status, true
}

// forget drops the status held for app. The last one gone, the table
// goes too: a map keeps the room it grew to, and a cold sync of 10,000
// Applications grows it to thousands (1.6 MB at W2's idle).
func (h *heldStatuses) forget(app string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.m, app)
	if len(h.m) == 0 {
		h.m = nil
	}
}

// statusDigest identifies a status by its JSON, which is what the API
// server stores of it.
func statusDigest(status *v1alpha1.ApplicationStatus) ([sha256.Size]byte, error) {
	data, err := json.Marshal(status)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	return sha256.Sum256(data), nil
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
	if !r.held.put(appKey(app), &before.Status, &app.Status) {
		return 0, false
	}
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
