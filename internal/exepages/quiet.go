package exepages

import (
	"context"
	"time"
)

// Quiet says when a process that worked has gone quiet: the pages its
// work mapped (first syncs, renders, a burst of changes) are then given
// back, and the few that staying idle uses come back at once. A process
// that stays idle is not released again and again.
type Quiet struct {
	// Window is how often CPU use is looked at.
	Window time.Duration
	// Busy is the CPU time since the last release past which the process
	// counts as having worked.
	Busy time.Duration
	// Idle is the share of Window (0 to 1) of CPU time below which a window
	// counts as quiet.
	Idle float64
}

// DefaultQuiet looks every 30 s, and calls a process quiet after a
// window below 2 % of a CPU that follows 2 CPU seconds of work.
var DefaultQuiet = Quiet{Window: 30 * time.Second, Busy: 2 * time.Second, Idle: 0.02}

// due reports whether to release now: the process has worked (cpu since
// the last release) and the last window was quiet (cpu in it).
func (q Quiet) due(sinceRelease, inWindow time.Duration) bool {
	return sinceRelease >= q.Busy && float64(inWindow) < q.Idle*float64(q.Window)
}

// ReleaseWhenQuiet calls Release each time the process goes quiet after
// working, until ctx ends; report receives each outcome.
func ReleaseWhenQuiet(ctx context.Context, q Quiet, report func(released int64, err error)) {
	tick := time.NewTicker(q.Window)
	defer tick.Stop()
	last := cpuTime()
	atRelease := last
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := cpuTime()
		if q.due(now-atRelease, now-last) {
			report(Release())
			atRelease = cpuTime()
		}
		last = now
	}
}
