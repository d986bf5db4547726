package bench

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// arrivals records, from a watch's events, when each object was first
// seen and when it first reached a state: when capstan (or the ceiling's
// loop) created it, and when a Deployment first became Available.
type arrivals struct {
	mu      sync.Mutex
	created map[string]time.Time // by namespace/name
	reached map[string]time.Time
	state   func(*unstructured.Unstructured) bool // nil: none tracked
}

func newArrivals(state func(*unstructured.Unstructured) bool) *arrivals {
	return &arrivals{created: map[string]time.Time{}, reached: map[string]time.Time{}, state: state}
}

func (a *arrivals) observe(u *unstructured.Unstructured, at time.Time) {
	key := u.GetNamespace() + "/" + u.GetName()
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.created[key]; !ok {
		a.created[key] = at
	}
	if _, ok := a.reached[key]; !ok && a.state != nil && a.state(u) {
		a.reached[key] = at
	}
}

// createdTimes and reachedTimes return the times of keys, and how many of
// them have one.
func (a *arrivals) createdTimes(keys []string) ([]time.Time, int) { return a.times(a.created, keys) }
func (a *arrivals) reachedTimes(keys []string) ([]time.Time, int) { return a.times(a.reached, keys) }

func (a *arrivals) times(m map[string]time.Time, keys []string) ([]time.Time, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []time.Time
	for _, k := range keys {
		if t, ok := m[k]; ok {
			out = append(out, t)
		}
	}
	return out, len(out)
}

// waitReached waits, in memory, until every key reached the state or the
// bound passed; it returns how many did.
func (a *arrivals) waitReached(ctx context.Context, keys []string, bound time.Duration) (int, error) {
	deadline := time.Now().Add(bound)
	for {
		_, n := a.reachedTimes(keys)
		if n == len(keys) || time.Now().After(deadline) {
			return n, nil
		}
		select {
		case <-ctx.Done():
			return n, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// available reports whether a Deployment's Available condition is True.
func available(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Available" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// deploymentFields are what the benchmark keeps of a Deployment: drift
// reads its replicas, the arrivals its conditions (slim keeps only their
// type and status).
var deploymentFields = [][]string{{"spec", "replicas"}, {"status", "conditions"}}

// keysOf names one object, by name, in each app's namespace.
func keysOf(set []App, name string) []string {
	out := make([]string, len(set))
	for i, a := range set {
		out[i] = a.Namespace + "/" + name
	}
	return out
}

// last is the latest of ts, or the zero time.
func last(ts []time.Time) time.Time {
	var l time.Time
	for _, t := range ts {
		if t.After(l) {
			l = t
		}
	}
	return l
}

// first is the earliest of ts, or the zero time.
func first(ts []time.Time) time.Time {
	var f time.Time
	for _, t := range ts {
		if f.IsZero() || t.Before(f) {
			f = t
		}
	}
	return f
}
