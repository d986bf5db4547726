package application

import (
	"sync"
	"time"
)

// hardRefreshes remembers when each Application was last refreshed hard,
// for timeout.hard.reconciliation. Memory only: a restarted controller
// starts every clock again.
type hardRefreshes struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// due reports whether the Application key, last refreshed hard more than
// every ago, is due, and starts its clock again when it is (or when it
// has none yet).
func (h *hardRefreshes) due(key string, now time.Time, every time.Duration) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last == nil {
		h.last = map[string]time.Time{}
	}
	last, ok := h.last[key]
	if ok && now.Sub(last) < every {
		return false
	}
	h.last[key] = now
	return ok
}

// in is how long until the Application key is due; 0 when every is 0.
func (h *hardRefreshes) in(key string, now time.Time, every time.Duration) time.Duration {
	if every <= 0 {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	last, ok := h.last[key]
	if !ok {
		return every
	}
	return max(every-now.Sub(last), time.Millisecond)
}

func (h *hardRefreshes) forget(key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.last, key)
}

// refreshHardWhenDue refreshes the Application hard once every
// timeout.hard.reconciliation: its repositories are asked again rather
// than answered from the cached refs, and every object is compared afresh
// rather than by the verdicts kept since it last changed.
func (r *Reconciler) refreshHardWhenDue(st *state) {
	if r.Settings == nil || st.settings.HardResync <= 0 || !r.hard.due(appKey(st.app), st.now, st.settings.HardResync) {
		return
	}
	for _, src := range st.app.Spec.GetSources() {
		r.Fetcher.Git.Invalidate(src.RepoURL)
	}
	r.verdicts.retain(appKey(st.app), nil)
}

// hardRefreshIn is how long until the Application's next hard refresh; 0
// when there is none.
func (r *Reconciler) hardRefreshIn(st *state) time.Duration {
	if r.Settings == nil || st.settings == nil || st.settings.HardResync <= 0 {
		return 0
	}
	return r.hard.in(appKey(st.app), st.now, st.settings.HardResync)
}
