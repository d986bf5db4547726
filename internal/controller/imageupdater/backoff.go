package imageupdater

import "time"

// failure is a run of failed write-backs of one Application.
type failure struct {
	count int
	at    time.Time
}

// maxBackoff caps the wait after failed write-backs.
const maxBackoff = time.Hour

// retryAfter is how long after the last of count consecutive failures the
// next attempt waits: one interval after the first, doubling with each
// further failure, capped at an hour (or the interval, if longer). A
// branch that refuses every push is then tried a few times an hour, not
// at every cycle.
func retryAfter(count int, interval time.Duration) time.Duration {
	if count <= 0 {
		return 0
	}
	limit := max(maxBackoff, interval)
	d := interval
	for i := 1; i < count && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// due reports whether an Application's write-back may be tried now, and
// if not, until when it waits.
func (u *Updater) due(app string, now time.Time) (bool, time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	f, ok := u.failures[app]
	if !ok {
		return true, time.Time{}
	}
	// Attempts are made at cycle boundaries: a little early is on time.
	next := f.at.Add(retryAfter(f.count, u.interval()) - u.interval()/10)
	return !now.Before(next), next
}

// outcome records the result of an attempt.
func (u *Updater) outcome(app string, err error, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err == nil {
		delete(u.failures, app)
		return
	}
	if u.failures == nil {
		u.failures = map[string]failure{}
	}
	f := u.failures[app]
	u.failures[app] = failure{count: f.count + 1, at: now}
}
