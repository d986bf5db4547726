package session

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLockout(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	type step struct {
		fail    bool // a failure at the time, else a check
		succeed bool
		name    string
		sec     int
	}
	tests := []struct {
		name   string
		policy LockoutPolicy
		steps  []step
		want   []bool // locked, per check
	}{
		{
			name:   "locked after the third failure until the window passes",
			policy: LockoutPolicy{MaxFailures: 3, Window: 60 * time.Second},
			steps: []step{
				{fail: true, name: "a", sec: 0}, {fail: true, name: "a", sec: 1}, {name: "a", sec: 2},
				{fail: true, name: "a", sec: 2}, {name: "a", sec: 3}, {name: "b", sec: 3},
				{name: "a", sec: 61}, {name: "a", sec: 62},
			},
			want: []bool{false, true, false, true, false},
		},
		{
			name:   "failures further apart than the window do not add up",
			policy: LockoutPolicy{MaxFailures: 2, Window: 10 * time.Second},
			steps:  []step{{fail: true, name: "a", sec: 0}, {fail: true, name: "a", sec: 20}, {name: "a", sec: 21}},
			want:   []bool{false},
		},
		{
			name:   "a success forgets the failures",
			policy: LockoutPolicy{MaxFailures: 2, Window: 10 * time.Second},
			steps:  []step{{fail: true, name: "a", sec: 0}, {succeed: true, name: "a"}, {fail: true, name: "a", sec: 1}, {name: "a", sec: 2}},
			want:   []bool{false},
		},
		{
			name:   "turned off",
			policy: LockoutPolicy{MaxFailures: -1},
			steps:  []step{{fail: true, name: "a"}, {fail: true, name: "a"}, {fail: true, name: "a"}, {fail: true, name: "a"}, {fail: true, name: "a"}, {fail: true, name: "a"}, {name: "a"}},
			want:   []bool{false},
		},
		{
			name:   "a full table drops the oldest name, not the newest",
			policy: LockoutPolicy{MaxFailures: 1, Window: time.Minute, MaxNames: 2},
			steps:  []step{{fail: true, name: "a", sec: 0}, {fail: true, name: "b", sec: 1}, {fail: true, name: "c", sec: 2}, {name: "a", sec: 3}, {name: "b", sec: 3}, {name: "c", sec: 3}},
			want:   []bool{false, true, true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFailures(tt.policy.withDefaults())
			var got []bool
			for _, s := range tt.steps {
				switch {
				case s.fail:
					f.fail(s.name, at(s.sec))
				case s.succeed:
					f.succeed(s.name)
				default:
					got = append(got, f.locked(s.name, at(s.sec)))
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("locked (-want +got):\n%s", diff)
			}
		})
	}
}
