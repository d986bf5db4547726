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
	exp, ok := e.m[key]
	if !ok {
		return false
	}
	if now.Sub(exp.at) > expectationTTL || !slices.Contains(exp.replaced, resourceVersion) {
		delete(e.m, key)
		return false
	}
	return true
}

// forget drops what is expected of an Application that is gone.
func (e *expectations) forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}
