// Package memo remembers answers that never change for their key (the
// hash of a path at a commit, the normal form of a URL), up to a number
// of entries: past it a Memo starts afresh, so that what it holds stays
// bounded whatever keys it is asked.
package memo

import "sync"

// A Memo maps keys to answers, by several goroutines at once. Make one
// with New.
type Memo[K comparable, V any] struct {
	mu  sync.Mutex
	max int
	m   map[K]V
}

// New returns an empty Memo of at most max entries.
func New[K comparable, V any](max int) *Memo[K, V] {
	return &Memo[K, V]{max: max}
}

// Get returns the answer remembered for k.
func (m *Memo[K, V]) Get(k K) (V, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[k]
	return v, ok
}

// Put remembers v for k, first forgetting everything when the Memo is
// full.
func (m *Memo[K, V]) Put(k K, v V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil || len(m.m) >= m.max {
		m.m = make(map[K]V)
	}
	m.m[k] = v
}
