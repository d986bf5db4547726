package application

import (
	"slices"
	gosync "sync"
	"time"
)

// expectationTTL bounds how long the controller waits for its cache to
// show its own write; after it, the cache is trusted whatever it says.
const expectationTTL = 30 * time.Second

// expectations make a pass wait for the cache to show the controller's own
// last writes to an Application's operation before it acts on it: a pass
// reading an older copy would run a step (a hook, a prune, a retry) a
// second time, or run a finished request again. What is remembered is the
// resourceVersions the writes replaced: while the cache holds one of them,
// it is behind.
type expectations struct {
	mu gosync.Mutex
	m  map[string]expectation
	// swept is when the expired expectations were last dropped.
	swept time.Time
}

type expectation struct {
	replaced []string
	at       time.Time
}

// expect records that the writes of a pass replaced the versions of the
// Application named key.
func (e *expectations) expect(key string, replaced []string, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sweep(now)
	if e.m == nil {
		e.m = map[string]expectation{}
	}
	e.m[key] = expectation{replaced: replaced, at: now}
}

// stale reports whether resourceVersion, as the cache has it, is one the
// controller's writes replaced; once it is not, the expectation is met and
// dropped.
func (e *expectations) stale(key, resourceVersion string, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sweep(now)
	exp, ok := e.m[key]
	if !ok {
		return false
	}
	if now.Sub(exp.at) > expectationTTL || !slices.Contains(exp.replaced, resourceVersion) {
		e.drop(key)
		return false
	}
	return true
}

// sweep drops the expectations past expectationTTL, at most once in that
// time. An expectation is otherwise dropped at its Application's next
// pass, which may come minutes later: at the end of a cold sync of 10,000
// Applications they held 3.2 MB of the heap at idle (docs/performance.md,
// "W2 at 84cb5a0").
func (e *expectations) sweep(now time.Time) {
	if len(e.m) == 0 || now.Sub(e.swept) < expectationTTL {
		return
	}
	e.swept = now
	for key, exp := range e.m {
		if now.Sub(exp.at) > expectationTTL {
			e.drop(key)
		}
	}
}

// drop deletes the expectation of key. The last one gone, the map goes
// too: a map keeps the room it grew to.
func (e *expectations) drop(key string) {
	delete(e.m, key)
	if len(e.m) == 0 {
		e.m = nil
	}
}

// forget drops what is expected of an Application that is gone.
func (e *expectations) forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.drop(key)
}
