package exepages

import (
	"context"
	"time"
)

// Quiet says when a process that worked has gone quiet: the pages its
// work mapped (first syncs, renders, a burst of changes) are then given
// back, and the few that staying idle uses come back at once. Only the CPU
// of busy windows counts as work, so a process that stays idle, however
// long, is not released again and again.
type Quiet struct {
	// Window is how often CPU use is looked at.
	Window time.Duration
	// Idle is the share of Window (0 to 1) of CPU time below which a window
	// counts as quiet.
	Idle float64
	// Busy is the CPU time of busy windows since the last release past
	// which the process counts as having worked.
	Busy time.Duration
}

// DefaultQuiet looks every 30 s, and calls a process quiet after a window
// below 10 % of a CPU that follows 5 CPU seconds of busy windows. An idle
// controller of 1000 Applications uses about 2 % of a CPU (polls, resyncs,
// metrics scrapes, the garbage collector); a cold sync of them, 10 to 15 %
// over minutes.
var DefaultQuiet = Quiet{Window: 30 * time.Second, Idle: 0.10, Busy: 5 * time.Second}

// step takes the CPU time of the window that just ended and the work
// counted so far, and says whether to release now and the work counted
// after it.
func (q Quiet) step(worked, inWindow time.Duration) (release bool, after time.Duration) {
	switch {
	case float64(inWindow) >= q.Idle*float64(q.Window):
		return false, worked + inWindow
	case worked >= q.Busy:
		return true, 0
	default:
		return false, worked
	}
}

// ReleaseWhenQuiet calls Release each time the process goes quiet after
// working, until ctx ends; report receives each outcome.
func ReleaseWhenQuiet(ctx context.Context, q Quiet, report func(released int64, err error)) {
	tick := time.NewTicker(q.Window)
	defer tick.Stop()
	var worked time.Duration
	last := cpuTime()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := cpuTime()
		var release bool
		release, worked = q.step(worked, now-last)
		if release {
			report(Release())
		}
		last = cpuTime()
	}
}
