package project

import (
	"strings"
	"testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// CheckWindows names the first window that cannot be used by its place
// and says what is wrong with it; good windows pass.
func TestCheckWindows(t *testing.T) {
	good := v1alpha1.SyncWindow{Kind: "allow", Schedule: "0 22 * * *", Duration: "1h", Applications: []string{"*"}}
	for _, tt := range []struct {
		name   string
		second v1alpha1.SyncWindow
		want   string
	}{
		{"good", v1alpha1.SyncWindow{Kind: "deny", Schedule: "@daily", Duration: "90m", Namespaces: []string{"prod-*"}, TimeZone: "UTC"}, ""},
		{"no selector", v1alpha1.SyncWindow{Kind: "deny", Schedule: "0 1 * * 1-5", Duration: "1h"}, ""},
		{"kind", v1alpha1.SyncWindow{Kind: "block", Schedule: "0 22 * * *", Duration: "1h"}, `sync window 2: kind "block" is neither allow nor deny`},
		{"schedule", v1alpha1.SyncWindow{Kind: "deny", Schedule: "every night", Duration: "1h"}, `sync window 2: schedule "every night" is not a cron schedule`},
		{"schedule out of range", v1alpha1.SyncWindow{Kind: "deny", Schedule: "0 25 * * *", Duration: "1h"}, `sync window 2: schedule "0 25 * * *"`},
		{"duration", v1alpha1.SyncWindow{Kind: "deny", Schedule: "0 22 * * *", Duration: "1 hour"}, `sync window 2: duration "1 hour" is not a positive duration`},
		{"zero duration", v1alpha1.SyncWindow{Kind: "deny", Schedule: "0 22 * * *", Duration: "0s"}, `sync window 2: duration "0s"`},
		{"time zone", v1alpha1.SyncWindow{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h", TimeZone: "Mars/Olympus"}, `sync window 2: time zone "Mars/Olympus" is not known`},
		{"selector", v1alpha1.SyncWindow{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h", Clusters: []string{"prod-[a"}}, `sync window 2: invalid pattern "prod-[a"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckWindows(v1alpha1.SyncWindows{good, tt.second, {Kind: "nope"}})
			if tt.want == "" {
				// The third window is bad: a good second one lets the
				// check reach it.
				tt.want = `sync window 3: kind "nope"`
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v; want one containing %q", err, tt.want)
			}
		})
	}
	if err := CheckWindows(v1alpha1.SyncWindows{good}); err != nil {
		t.Errorf("a good window: %v", err)
	}
}
