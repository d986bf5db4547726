package session

import (
	"sync"
	"time"
)

// LockoutPolicy bounds failed logins per user name: after MaxFailures
// failures, each within Window of the one before, the name is locked
// until Window has passed since the last failure, whatever password is
// given. Attempts while locked do not extend the lock.
type LockoutPolicy struct {
	// MaxFailures is how many failures lock a name. Zero means
	// DefaultMaxFailures; below zero turns the lockout off.
	MaxFailures int
	// Window is how long failures are remembered, and so how long a lock
	// lasts. Zero means DefaultFailureWindow.
	Window time.Duration
	// MaxNames bounds the names whose failures are remembered. Zero means
	// DefaultMaxNames.
	MaxNames int
}

// Defaults for LockoutPolicy, as in Argo CD.
const (
	DefaultMaxFailures   = 5
	DefaultFailureWindow = 300 * time.Second
	DefaultMaxNames      = 10000
)

func (p LockoutPolicy) withDefaults() LockoutPolicy {
	if p.MaxFailures == 0 {
		p.MaxFailures = DefaultMaxFailures
	}
	if p.Window <= 0 {
		p.Window = DefaultFailureWindow
	}
	if p.MaxNames <= 0 {
		p.MaxNames = DefaultMaxNames
	}
	return p
}

// failures remembers recent login failures per user name.
type failures struct {
	policy LockoutPolicy
	mu     sync.Mutex
	byName map[string]*failure
}

type failure struct {
	count int
	last  time.Time
}

func newFailures(p LockoutPolicy) *failures {
	return &failures{policy: p, byName: map[string]*failure{}}
}

// locked reports whether name may not log in at now.
func (f *failures) locked(name string, now time.Time) bool {
	if f.policy.MaxFailures < 0 {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.byName[name]
	return r != nil && r.count >= f.policy.MaxFailures && now.Sub(r.last) < f.policy.Window
}

// fail records a failed login of name at now.
func (f *failures) fail(name string, now time.Time) {
	if f.policy.MaxFailures < 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.byName[name]
	if r == nil {
		if len(f.byName) >= f.policy.MaxNames {
			f.evict(now)
		}
		r = &failure{}
		f.byName[name] = r
	}
	if now.Sub(r.last) >= f.policy.Window {
		r.count = 0
	}
	r.count++
	r.last = now
}

// succeed forgets the failures of name.
func (f *failures) succeed(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.byName, name)
}

// evict makes room for one more name: the expired records go, and if
// none had expired, the oldest does.
func (f *failures) evict(now time.Time) {
	var oldest string
	for name, r := range f.byName {
		if now.Sub(r.last) >= f.policy.Window {
			delete(f.byName, name)
			continue
		}
		if oldest == "" || r.last.Before(f.byName[oldest].last) {
			oldest = name
		}
	}
	if len(f.byName) >= f.policy.MaxNames && oldest != "" {
		delete(f.byName, oldest)
	}
}
