package bench

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestHistogramQuantile checks the interpolation against values worked
// out by hand the way histogram_quantile computes them.
func TestHistogramQuantile(t *testing.T) {
	inf := math.Inf(+1)
	h := histogram{{0.1, 10}, {0.2, 30}, {0.4, 40}, {inf, 40}}
	for _, tc := range []struct {
		name string
		h    histogram
		q    float64
		want float64
	}{
		{"first bucket, from zero", h, 0.10, 0.04}, // rank 4 of 10 in (0, 0.1]
		{"median", h, 0.50, 0.15},                  // rank 20: 10 of 20 in (0.1, 0.2]
		{"p99", h, 0.99, 0.392},                    // rank 39.6: 9.6 of 10 in (0.2, 0.4]
		{"rank on a bound", h, 0.75, 0.2},          // rank 30 fills (0.1, 0.2] exactly
		{"in +Inf: highest finite bound", histogram{{0.1, 10}, {inf, 20}}, 0.99, 0.1},
	} {
		if got := tc.h.quantile(tc.q); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: quantile(%.2f) = %v, want %v", tc.name, tc.q, got, tc.want)
		}
	}
	if got := (histogram{{0.1, 0}, {inf, 0}}).quantile(0.5); !math.IsNaN(got) {
		t.Errorf("no observations: got %v, want NaN", got)
	}
}

// TestServerHistsSplitsReadsAndWrites reads two scrapes of an API
// server's request-duration histogram and checks what a phase between
// them gets: reads and writes apart, watches and non-resource requests
// (the benchmark's own reads of /metrics) left out.
func TestServerHistsSplitsReadsAndWrites(t *testing.T) {
	scrape := func(get, apply, watch, metrics [3]int) serverHists {
		t.Helper()
		var b strings.Builder
		b.WriteString("# TYPE apiserver_request_duration_seconds histogram\n")
		series := func(verb, resource string, c [3]int) {
			l := `verb="` + verb + `",resource="` + resource + `"`
			for i, le := range []string{"0.05", "0.1"} {
				b.WriteString("apiserver_request_duration_seconds_bucket{" + l + `,le="` + le + `"} ` + strconv.Itoa(c[i]) + "\n")
			}
			b.WriteString("apiserver_request_duration_seconds_bucket{" + l + `,le="+Inf"} ` + strconv.Itoa(c[2]) + "\n")
			b.WriteString("apiserver_request_duration_seconds_sum{" + l + "} 1\n")
			b.WriteString("apiserver_request_duration_seconds_count{" + l + "} " + strconv.Itoa(c[2]) + "\n")
		}
		series("GET", "configmaps", get)
		series("LIST", "configmaps", get)
		series("APPLY", "deployments", apply)
		series("WATCH", "deployments", watch)
		series("GET", "", metrics)
		s, err := parseMetrics(strings.NewReader(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		return serverHistsOf(s)
	}
	before := scrape([3]int{5, 5, 5}, [3]int{0, 2, 2}, [3]int{0, 0, 9}, [3]int{1, 1, 1})
	after := scrape([3]int{15, 25, 25}, [3]int{0, 12, 22}, [3]int{0, 0, 99}, [3]int{9, 9, 9})
	got := after.minus(before).latency("drift")
	want := ServerLatency{
		Phase: "drift",
		// 40 reads: 20 in (0, 0.05], 20 in (0.05, 0.1].
		Reads: HistLatency{N: 40, P50: 0.05, P99: 0.05 + 0.05*19.6/20},
		// 20 writes: 10 in (0.05, 0.1], 10 above: the median ends the
		// second bucket, the p99 is in +Inf.
		Writes: HistLatency{N: 20, P50: 0.1, P99: 0.1},
	}
	if d := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); d != "" {
		t.Errorf("latency (-want +got):\n%s", d)
	}
}
