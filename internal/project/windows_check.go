package project

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// CheckWindows refuses sync windows the controller could not use: a kind
// other than allow or deny, a schedule that is not cron, a duration that
// is not positive, an unknown time zone or a selector that is not a
// pattern. The error names the first such window by its place in the
// list, from 1.
func CheckWindows(windows v1alpha1.SyncWindows) error {
	for i, w := range windows {
		if _, _, _, err := readWindow(w); err != nil {
			return fmt.Errorf("sync window %d: %w", i+1, err)
		}
		for _, patterns := range [][]string{w.Applications, w.Namespaces, w.Clusters} {
			for _, p := range patterns {
				if _, err := match(p, ""); err != nil {
					return fmt.Errorf("sync window %d: %w", i+1, err)
				}
			}
		}
	}
	return nil
}

// readWindow reads w's schedule, duration and time zone (UTC when none).
func readWindow(w v1alpha1.SyncWindow) (cron.Schedule, time.Duration, *time.Location, error) {
	if w.Kind != v1alpha1.SyncWindowKindAllow && w.Kind != v1alpha1.SyncWindowKindDeny {
		return nil, 0, nil, fmt.Errorf("kind %q is neither allow nor deny", w.Kind)
	}
	schedule, err := cronParser.Parse(w.Schedule)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("schedule %q is not a cron schedule of five fields (minute hour day-of-month month day-of-week): %w", w.Schedule, err)
	}
	d, err := time.ParseDuration(w.Duration)
	if err != nil || d <= 0 {
		return nil, 0, nil, fmt.Errorf("duration %q is not a positive duration such as 1h30m", w.Duration)
	}
	loc := time.UTC
	if w.TimeZone != "" {
		if loc, err = time.LoadLocation(w.TimeZone); err != nil {
			return nil, 0, nil, fmt.Errorf("time zone %q is not known: %w", w.TimeZone, err)
		}
	}
	return schedule, d, loc, nil
}
