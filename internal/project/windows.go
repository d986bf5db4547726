package project

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// WindowTarget is what a sync window's selectors are matched against: an
// Application's name and its destination namespace and cluster (by server
// and by name).
type WindowTarget struct {
	Application string
	Namespace   string
	Server      string
	ClusterName string
}

// Windows is what a project's sync windows say of one Application at one
// moment.
type Windows struct {
	// Matching are the windows whose selectors match the Application.
	Matching []v1alpha1.SyncWindow
	// Active are those of Matching open at the moment.
	Active []v1alpha1.SyncWindow
	// Automated and Manual say whether an automated sync, and a sync a
	// user asked for, may run now.
	Automated, Manual bool
	// NextChange is when a matching window next opens or closes, after
	// which the answer may differ; zero when no window matches.
	NextChange time.Time
}

// Allows reports whether a sync may run now: a manual one (asked for by a
// user) or an automated one.
func (w Windows) Allows(manual bool) bool {
	if manual {
		return w.Manual
	}
	return w.Automated
}

// Blocked explains a refusal of Allows(manual), naming the windows that
// decide it.
func (w Windows) Blocked(manual bool) string {
	what := "automated sync"
	if manual {
		what = "sync"
	}
	if deny := ofKind(w.Active, v1alpha1.SyncWindowKindDeny); len(deny) > 0 {
		return fmt.Sprintf("%s blocked by active deny sync window %s", what, describeWindows(deny))
	}
	return fmt.Sprintf("%s blocked: no allow sync window is open (%s)", what, describeWindows(ofKind(w.Matching, v1alpha1.SyncWindowKindAllow)))
}

// SyncWindowsAt evaluates windows for target at now. With no matching
// window every sync is allowed; an active deny window refuses syncs (a
// manual one passes when every active deny window has manualSync); when
// allow windows match, syncs run only while one of them is open (a manual
// one passes outside them when one has manualSync). A window that cannot
// be read (schedule, duration, time zone, selector) is an error, and
// syncs are refused: a broken deny window must not quietly allow.
func SyncWindowsAt(windows v1alpha1.SyncWindows, target WindowTarget, now time.Time) (Windows, error) {
	var out Windows
	for _, w := range windows {
		ok, err := windowMatches(w, target)
		if err != nil {
			return Windows{}, err
		}
		if !ok {
			continue
		}
		out.Matching = append(out.Matching, w)
		open, change, err := windowOpen(w, now)
		if err != nil {
			return Windows{}, err
		}
		if open {
			out.Active = append(out.Active, w)
		}
		if !change.IsZero() && (out.NextChange.IsZero() || change.Before(out.NextChange)) {
			out.NextChange = change
		}
	}
	out.Automated, out.Manual = decide(out.Matching, out.Active)
	return out, nil
}

// decide applies the rules of SyncWindowsAt to the matching and active
// windows.
func decide(matching, active []v1alpha1.SyncWindow) (automated, manual bool) {
	if deny := ofKind(active, v1alpha1.SyncWindowKindDeny); len(deny) > 0 {
		manual = true
		for _, w := range deny {
			manual = manual && w.ManualSync
		}
		return false, manual
	}
	if len(ofKind(active, v1alpha1.SyncWindowKindAllow)) > 0 {
		return true, true
	}
	allows := ofKind(matching, v1alpha1.SyncWindowKindAllow)
	if len(allows) == 0 {
		return true, true
	}
	for _, w := range allows {
		if w.ManualSync {
			return false, true
		}
	}
	return false, false
}

// windowMatches reports whether w selects target: any of its selectors
// matches, or every one it sets with andOperator.
func windowMatches(w v1alpha1.SyncWindow, target WindowTarget) (bool, error) {
	selectors := []struct {
		patterns []string
		values   []string
	}{
		{w.Applications, []string{target.Application}},
		{w.Namespaces, []string{target.Namespace}},
		{w.Clusters, []string{target.Server, target.ClusterName}},
	}
	set := 0
	for _, s := range selectors {
		if len(s.patterns) == 0 {
			continue
		}
		set++
		ok, err := anyMatch(s.patterns, s.values)
		if err != nil {
			return false, fmt.Errorf("sync window %s: %w", describeWindow(w), err)
		}
		if ok && !w.UseAndOperator {
			return true, nil
		}
		if !ok && w.UseAndOperator {
			return false, nil
		}
	}
	return w.UseAndOperator && set > 0, nil
}

// anyMatch reports whether one of the patterns matches one of the
// non-empty values.
func anyMatch(patterns, values []string) (bool, error) {
	for _, p := range patterns {
		for _, v := range values {
			if v == "" {
				continue
			}
			ok, err := match(p, v)
			if err != nil || ok {
				return ok, err
			}
		}
	}
	return false, nil
}

// cronParser reads the five-field schedules Argo CD accepts, and the
// @hourly-style descriptors.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// windowOpen reports whether w is open at now, and when it next opens or
// closes. A window opens at each time of its schedule, in its time zone
// (UTC when none), and stays open for its duration.
func windowOpen(w v1alpha1.SyncWindow, now time.Time) (bool, time.Time, error) {
	schedule, d, loc, err := readWindow(w)
	if err != nil {
		return false, time.Time{}, fmt.Errorf("sync window %s: %w", describeWindow(w), err)
	}
	local := now.In(loc)
	// The last opening at or before now is the first after now-d, if it
	// is not after now. A schedule that never fires (the 30th of
	// February) gives the zero time: never open.
	if opened := schedule.Next(local.Add(-d)); !opened.IsZero() && !opened.After(local) {
		return true, opened.Add(d).In(now.Location()), nil
	}
	next := schedule.Next(local)
	if next.IsZero() {
		return false, time.Time{}, nil
	}
	return false, next.In(now.Location()), nil
}

func ofKind(windows []v1alpha1.SyncWindow, kind string) []v1alpha1.SyncWindow {
	var out []v1alpha1.SyncWindow
	for _, w := range windows {
		if w.Kind == kind {
			out = append(out, w)
		}
	}
	return out
}

func describeWindows(windows []v1alpha1.SyncWindow) string {
	names := make([]string, len(windows))
	for i, w := range windows {
		names[i] = describeWindow(w)
	}
	return strings.Join(names, ", ")
}

// describeWindow names a window by its schedule and duration (and time
// zone), as a user wrote them.
func describeWindow(w v1alpha1.SyncWindow) string {
	s := fmt.Sprintf("%q for %s", w.Schedule, w.Duration)
	if w.TimeZone != "" {
		s += " in " + w.TimeZone
	}
	return s
}
