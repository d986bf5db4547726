package application

import (
	gosync "sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// expectationTTL bounds how long a written operation state is waited for
// in the cache; after it, the cache is trusted again whatever it says.
const expectationTTL = 10 * time.Second

// expectations remember the operation state each Application was last
// written with, so that a pass reading the Application from a cache that
// has not caught up with that write waits instead of running an operation
// step (a hook, a prune) a second time.
type expectations struct {
	mu gosync.Mutex
	m  map[types.UID]expectation
}

type expectation struct {
	started metav1.Time
	results int
	// ended is true when the write set finishedAt (an attempt ended), and
	// completed when the operation itself is over.
	ended, completed bool
	at               time.Time
}

// expect records the operation state just written for the Application.
func (e *expectations) expect(app *v1alpha1.Application, now time.Time) {
	os := app.Status.OperationState
	if os == nil {
		return
	}
	exp := expectation{started: os.StartedAt.Rfc3339Copy(), ended: os.FinishedAt != nil, completed: os.Phase.Completed(), at: now}
	if os.SyncResult != nil {
		exp.results = len(os.SyncResult.Resources)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil {
		e.m = map[types.UID]expectation{}
	}
	e.m[app.UID] = exp
}

// stale reports whether app, as read, predates the last write; once it
// does not, the expectation is met and dropped.
func (e *expectations) stale(app *v1alpha1.Application, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	exp, ok := e.m[app.UID]
	if !ok {
		return false
	}
	if now.Sub(exp.at) > expectationTTL || !behind(app, exp) {
		delete(e.m, app.UID)
		return false
	}
	return true
}

// behind reports whether app's operation state is older than exp.
func behind(app *v1alpha1.Application, exp expectation) bool {
	os := app.Status.OperationState
	switch {
	case os == nil:
		return true
	case !os.StartedAt.Rfc3339Copy().Time.Equal(exp.started.Time):
		return true
	case os.SyncResult != nil && len(os.SyncResult.Resources) < exp.results:
		return true
	case exp.ended && os.FinishedAt == nil:
		return true
	case exp.completed && app.Operation != nil && equality.Semantic.DeepEqual(*app.Operation, os.Operation):
		return true // the finished request is not cleared in this copy yet
	}
	return false
}
