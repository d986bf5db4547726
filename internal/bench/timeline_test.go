package bench

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestTimelineCountsByTenths checks the cold sync's progress at each
// tenth of it, an event on a tenth's edge counting in that tenth.
func TestTimelineCountsByTenths(t *testing.T) {
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	at := func(secs ...float64) []time.Time {
		var out []time.Time
		for _, s := range secs {
			out = append(out, start.Add(time.Duration(s*float64(time.Second))))
		}
		return out
	}
	got := timeline(start, 100*time.Second,
		at(55, 100, 99.9),   // Synced and Healthy
		at(1, 10, 10.1, 30), // created
		at(20, 60, 61))      // Available
	want := []int{ // synced, created, available at 10 s, 20 s … 100 s
		0, 2, 0,
		0, 3, 1,
		0, 4, 1, // 30 s: on the edge
		0, 4, 1,
		0, 4, 1,
		1, 4, 2,
		1, 4, 3,
		1, 4, 3,
		1, 4, 3,
		3, 4, 3,
	}
	var counts []int
	for i, p := range got {
		if p.Percent != 10*(i+1) || p.Seconds != float64(10*(i+1)) {
			t.Errorf("point %d is at %d%%, %.1fs", i, p.Percent, p.Seconds)
		}
		counts = append(counts, p.Synced, p.Created, p.Available)
	}
	if d := cmp.Diff(want, counts); d != "" {
		t.Errorf("counts (-want +got):\n%s", d)
	}
}
