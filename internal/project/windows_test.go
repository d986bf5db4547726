package project

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestSyncWindowsAt(t *testing.T) {
	// A Monday, 22:30 UTC.
	now := time.Date(2026, 11, 30, 22, 30, 0, 0, time.UTC)
	guestbook := WindowTarget{Application: "guestbook", Namespace: "web", Server: "https://kubernetes.default.svc", ClusterName: "in-cluster"}
	nightly := func(kind string, manual bool) v1alpha1.SyncWindow {
		return v1alpha1.SyncWindow{Kind: kind, Schedule: "0 22 * * *", Duration: "1h", Applications: []string{"*"}, ManualSync: manual}
	}
	morning := func(kind string, manual bool) v1alpha1.SyncWindow {
		return v1alpha1.SyncWindow{Kind: kind, Schedule: "0 8 * * *", Duration: "2h", Applications: []string{"*"}, ManualSync: manual}
	}
	at := func(h, m int) time.Time { return time.Date(2026, 11, 30, h, m, 0, 0, time.UTC) }
	tomorrow := func(h, m int) time.Time { return time.Date(2026, 12, 1, h, m, 0, 0, time.UTC) }
	type want struct {
		Active            int
		Automated, Manual bool
		NextChange        time.Time
	}
	tests := []struct {
		name    string
		windows v1alpha1.SyncWindows
		target  WindowTarget
		now     time.Time
		want    want
	}{
		{name: "no windows", want: want{Automated: true, Manual: true}},
		{name: "active deny", windows: v1alpha1.SyncWindows{nightly("deny", false)},
			want: want{Active: 1, NextChange: at(23, 0)}},
		{name: "active deny with manualSync", windows: v1alpha1.SyncWindows{nightly("deny", true)},
			want: want{Active: 1, Manual: true, NextChange: at(23, 0)}},
		{name: "manualSync needs every active deny", windows: v1alpha1.SyncWindows{nightly("deny", true), {Kind: "deny", Schedule: "0 * * * *", Duration: "45m", Namespaces: []string{"web"}}},
			want: want{Active: 2, NextChange: at(22, 45)}},
		{name: "deny closed", windows: v1alpha1.SyncWindows{morning("deny", false)},
			want: want{Automated: true, Manual: true, NextChange: tomorrow(8, 0)}},
		{name: "deny at the instant it opens", windows: v1alpha1.SyncWindows{nightly("deny", false)}, now: at(22, 0),
			want: want{Active: 1, NextChange: at(23, 0)}},
		{name: "deny at the instant it closes", windows: v1alpha1.SyncWindows{nightly("deny", false)}, now: at(23, 0),
			want: want{Automated: true, Manual: true, NextChange: tomorrow(22, 0)}},
		{name: "allow open", windows: v1alpha1.SyncWindows{nightly("allow", false)},
			want: want{Active: 1, Automated: true, Manual: true, NextChange: at(23, 0)}},
		{name: "allow closed", windows: v1alpha1.SyncWindows{morning("allow", false)},
			want: want{NextChange: tomorrow(8, 0)}},
		{name: "allow closed with manualSync", windows: v1alpha1.SyncWindows{morning("allow", true)},
			want: want{Manual: true, NextChange: tomorrow(8, 0)}},
		{name: "active deny beats open allow", windows: v1alpha1.SyncWindows{nightly("allow", false), nightly("deny", false)},
			want: want{Active: 2, NextChange: at(23, 0)}},
		{name: "one open allow among closed ones", windows: v1alpha1.SyncWindows{morning("allow", false), nightly("allow", false)},
			want: want{Active: 1, Automated: true, Manual: true, NextChange: at(23, 0)}},
		{name: "other application", windows: v1alpha1.SyncWindows{{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h", Applications: []string{"billing-*"}}},
			want: want{Automated: true, Manual: true}},
		{name: "application glob", windows: v1alpha1.SyncWindows{{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h", Applications: []string{"guest*"}}},
			want: want{Active: 1, NextChange: at(23, 0)}},
		{name: "cluster by name", windows: v1alpha1.SyncWindows{{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h", Clusters: []string{"in-cluster"}}},
			want: want{Active: 1, NextChange: at(23, 0)}},
		{name: "cluster by server", windows: v1alpha1.SyncWindows{{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h", Clusters: []string{"https://kubernetes.*"}}},
			want: want{Active: 1, NextChange: at(23, 0)}},
		{name: "any selector", windows: v1alpha1.SyncWindows{{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h", Applications: []string{"other"}, Namespaces: []string{"web"}}},
			want: want{Active: 1, NextChange: at(23, 0)}},
		{name: "andOperator needs every selector", windows: v1alpha1.SyncWindows{{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h", Applications: []string{"other"}, Namespaces: []string{"web"}, UseAndOperator: true}},
			want: want{Automated: true, Manual: true}},
		{name: "andOperator with every selector matching", windows: v1alpha1.SyncWindows{{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h", Applications: []string{"guestbook"}, Namespaces: []string{"web"}, UseAndOperator: true}},
			want: want{Active: 1, NextChange: at(23, 0)}},
		{name: "no selectors match nothing", windows: v1alpha1.SyncWindows{{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h"}},
			want: want{Automated: true, Manual: true}},
		{name: "time zone", windows: v1alpha1.SyncWindows{{Kind: "deny", Schedule: "0 23 * * *", Duration: "1h", TimeZone: "Europe/Paris", Applications: []string{"*"}}},
			want: want{Active: 1, NextChange: at(23, 0)}},
		{name: "window open since yesterday", windows: v1alpha1.SyncWindows{{Kind: "deny", Schedule: "0 0 * * 1", Duration: "48h", Applications: []string{"*"}}},
			want: want{Active: 1, NextChange: tomorrow(0, 0).AddDate(0, 0, 1)}},
		{name: "never fires", windows: v1alpha1.SyncWindows{{Kind: "deny", Schedule: "0 0 30 2 *", Duration: "1h", Applications: []string{"*"}}},
			want: want{Automated: true, Manual: true}},
		{name: "descriptor", windows: v1alpha1.SyncWindows{{Kind: "deny", Schedule: "@hourly", Duration: "40m", Applications: []string{"*"}}},
			want: want{Active: 1, NextChange: at(22, 40)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, when := tt.target, tt.now
			if target == (WindowTarget{}) {
				target = guestbook
			}
			if when.IsZero() {
				when = now
			}
			got, err := SyncWindowsAt(tt.windows, target, when)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, want{len(got.Active), got.Automated, got.Manual, got.NextChange}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got.Allows(false) != got.Automated || got.Allows(true) != got.Manual {
				t.Error("Allows disagrees with Automated and Manual")
			}
		})
	}
}

// A window that cannot be read refuses syncs with an error naming it.
func TestSyncWindowsAtErrors(t *testing.T) {
	target := WindowTarget{Application: "guestbook"}
	now := time.Date(2026, 11, 30, 22, 30, 0, 0, time.UTC)
	for _, tt := range []struct {
		name   string
		window v1alpha1.SyncWindow
		want   string
	}{
		{"schedule", v1alpha1.SyncWindow{Kind: "deny", Schedule: "every night", Duration: "1h"}, `"every night" for 1h: schedule`},
		{"duration", v1alpha1.SyncWindow{Kind: "deny", Schedule: "0 22 * * *", Duration: "1 hour"}, `duration "1 hour"`},
		{"negative duration", v1alpha1.SyncWindow{Kind: "deny", Schedule: "0 22 * * *", Duration: "-1h"}, `duration "-1h"`},
		{"time zone", v1alpha1.SyncWindow{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h", TimeZone: "Mars/Olympus"}, "time zone"},
		{"kind", v1alpha1.SyncWindow{Kind: "block", Schedule: "0 22 * * *", Duration: "1h"}, `kind "block"`},
		{"selector", v1alpha1.SyncWindow{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h", Applications: []string{"guest[book"}}, "invalid pattern"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.window
			if len(w.Applications) == 0 {
				w.Applications = []string{"*"}
			}
			_, err := SyncWindowsAt(v1alpha1.SyncWindows{w}, target, now)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v; want one containing %q", err, tt.want)
			}
		})
	}
}

func TestWindowsBlocked(t *testing.T) {
	deny := v1alpha1.SyncWindow{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h"}
	allow := v1alpha1.SyncWindow{Kind: "allow", Schedule: "0 8 * * *", Duration: "2h", TimeZone: "Europe/Paris"}
	for _, tt := range []struct {
		name   string
		w      Windows
		manual bool
		want   string
	}{
		{"deny", Windows{Matching: []v1alpha1.SyncWindow{deny}, Active: []v1alpha1.SyncWindow{deny}}, false,
			`automated sync blocked by active deny sync window "0 22 * * *" for 1h`},
		{"allow closed", Windows{Matching: []v1alpha1.SyncWindow{allow}}, true,
			`sync blocked: no allow sync window is open ("0 8 * * *" for 2h in Europe/Paris)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.w.Blocked(tt.manual)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// Whatever a user writes in a window, evaluating it never panics, and an
// open window closes after now.
func FuzzSyncWindowsAt(f *testing.F) {
	f.Add("deny", "0 22 * * *", "1h", "Europe/Paris", "guest*")
	f.Add("allow", "@weekly", "30m", "", "*")
	f.Fuzz(func(t *testing.T, kind, schedule, duration, zone, pattern string) {
		w := v1alpha1.SyncWindow{Kind: kind, Schedule: schedule, Duration: duration, TimeZone: zone, Applications: []string{pattern}}
		now := time.Date(2026, 11, 30, 22, 30, 0, 0, time.UTC)
		got, err := SyncWindowsAt(v1alpha1.SyncWindows{w}, WindowTarget{Application: "guestbook"}, now)
		if err == nil && len(got.Active) > 0 && !got.NextChange.After(now) {
			t.Errorf("window %+v is open but its next change %s is not after now", w, got.NextChange)
		}
	})
}
