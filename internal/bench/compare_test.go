package bench

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// smallAndLarge are two hand-built results, 1000 and 10,000 apps, with the
// figures of a capstan that scales: time sub-linearly, memory linearly,
// requests per app unchanged, throughput lower, API server latency up.
func smallAndLarge() (*Result, *Result) {
	a := &Result{
		Scale:    Scale{Apps: 1000, Objects: 5000},
		Ceiling:  &Ceiling{ObjectsPerSecond: 100, Namespaces: 1000, Available: 1000, AvailableSeconds: 60},
		ColdSync: &ColdSync{Seconds: 100, LastAvailableSeconds: 95, Ratio: 2, RequestsPerApp: 8, CPUSeconds: 40},
		APIServer: []ServerLatency{
			{Phase: phaseCeiling, Writes: HistLatency{N: 6000, P50: 0.02, P99: 0.2}},
			{Phase: phaseColdSync, Reads: HistLatency{N: 100, P50: 0.01, P99: 0.1}, Writes: HistLatency{N: 7000, P50: 0.04, P99: 0.4}},
		},
		// No PSS after restart: the older results have none.
		Memory:  &Memory{PeakBytes: 100 << 20, PeakPSSBytes: 70 << 20, SelfPeakBytes: 60 << 20, SteadyBytes: 80 << 20, RestartPeakBytes: 90 << 20},
		Restart: &Restart{ReconciledSeconds: 10},
	}
	b := &Result{
		Scale:    Scale{Apps: 10000, Objects: 50000},
		Ceiling:  &Ceiling{ObjectsPerSecond: 80, Namespaces: 10000, Available: 10000, AvailableSeconds: 700},
		ColdSync: &ColdSync{Seconds: 800, LastAvailableSeconds: 790, Ratio: 1.28, RequestsPerApp: 8, CPUSeconds: 500},
		APIServer: []ServerLatency{
			{Phase: phaseCeiling, Writes: HistLatency{N: 60000, P50: 0.03, P99: 0.5}},
			{Phase: phaseColdSync, Reads: HistLatency{}, Writes: HistLatency{N: 70000, P50: 0.05, P99: 0.8}},
		},
		Memory:  &Memory{PeakBytes: 1000 << 20, PeakPSSBytes: 700 << 20, SelfPeakBytes: 660 << 20, SteadyBytes: 400 << 20, RestartPeakBytes: 900 << 20, RestartPeakPSSBytes: 500 << 20},
		Restart: &Restart{ReconciledSeconds: 200},
	}
	return a, b
}

func TestCompareAgainstLinearScaling(t *testing.T) {
	a, b := smallAndLarge()
	got := Compare(a, b)
	want := []Comparison{
		{Figure: "cold sync, to all Synced+Healthy", Unit: "s", A: 100, B: 800, Growth: 8, AgainstLinear: 0.8},
		{Figure: "cold sync, last Deployment Available", Unit: "s", A: 95, B: 790, Growth: 790.0 / 95, AgainstLinear: 790.0 / 950},
		// 50 objects/s, then 62.5: a rate that grew is better than linear.
		{Figure: "cold sync throughput", Unit: "objects/s", A: 50, B: 62.5, Growth: 1.25, AgainstLinear: 0.8},
		{Figure: "R_max", Unit: "objects/s", A: 100, B: 80, Growth: 0.8, AgainstLinear: 1.25},
		{Figure: "ceiling to all Available", Unit: "s", A: 60, B: 700, Growth: 700.0 / 60, AgainstLinear: 70.0 / 60},
		{Figure: "cold sync ratio to R_max", A: 2, B: 1.28, Growth: 0.64, AgainstLinear: 0.64},
		{Figure: "cold sync API requests per app", A: 8, B: 8, Growth: 1, AgainstLinear: 1},
		{Figure: "cold sync capstan CPU", Unit: "s", A: 40, B: 500, Growth: 12.5, AgainstLinear: 1.25},
		// The larger run made no read in its cold sync: no read rows.
		{Figure: "API server, cold sync, write p50", Unit: "s", A: 0.04, B: 0.05, Growth: 1.25, AgainstLinear: 1.25},
		{Figure: "API server, cold sync, write p99", Unit: "s", A: 0.4, B: 0.8, Growth: 2, AgainstLinear: 2},
		{Figure: "API server, ceiling, write p50", Unit: "s", A: 0.02, B: 0.03, Growth: 1.5, AgainstLinear: 1.5},
		{Figure: "API server, ceiling, write p99", Unit: "s", A: 0.2, B: 0.5, Growth: 2.5, AgainstLinear: 2.5},
		{Figure: "memory, peak (PSS)", Unit: "MiB", A: 70, B: 700, Growth: 10, AgainstLinear: 1},
		{Figure: "memory, capstan alone, peak (VmHWM)", Unit: "MiB", A: 60, B: 660, Growth: 11, AgainstLinear: 1.1},
		{Figure: "memory, peak (every VmHWM added)", Unit: "MiB", A: 100, B: 1000, Growth: 10, AgainstLinear: 1},
		{Figure: "memory, idle (VmRSS)", Unit: "MiB", A: 80, B: 400, Growth: 5, AgainstLinear: 0.5},
		// The smaller run read no PSS after restart: no row.
		{Figure: "memory, peak after restart (every VmHWM added)", Unit: "MiB", A: 90, B: 900, Growth: 10, AgainstLinear: 1},
		{Figure: "restart, to all reconciled once", Unit: "s", A: 10, B: 200, Growth: 20, AgainstLinear: 2},
		// Neither run measured drift: no row.
	}
	if d := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); d != "" {
		t.Errorf("Compare (-want +got):\n%s", d)
	}
}

// TestCompareZeroBaseline leaves the growth of a figure that was 0 in the
// smaller run undefined rather than infinite.
func TestCompareZeroBaseline(t *testing.T) {
	a, b := smallAndLarge()
	a.Restart.ReconciledSeconds = 0
	for _, c := range Compare(a, b) {
		if c.Figure == "restart, to all reconciled once" {
			if !math.IsNaN(c.Growth) || !math.IsNaN(c.AgainstLinear) {
				t.Errorf("growth from 0: %+v", c)
			}
			var out strings.Builder
			WriteComparison(&out, a, b)
			if !strings.Contains(out.String(), "restart, to all reconciled once") || !strings.Contains(out.String(), "–") {
				t.Errorf("the table does not show the undefined growth:\n%s", out.String())
			}
			return
		}
	}
	t.Error("no restart row")
}

// TestCompareLeavesOutWhatWasNotMeasured drops the figures a result
// lacks: the breakdown of a result written before it was recorded, and
// the time to all Available of a ceiling whose wait ran out.
func TestCompareLeavesOutWhatWasNotMeasured(t *testing.T) {
	a, b := smallAndLarge()
	a.ColdSync.LastAvailableSeconds = 0
	b.Ceiling.Available = 9990
	for _, c := range Compare(a, b) {
		if c.Figure == "cold sync, last Deployment Available" || c.Figure == "ceiling to all Available" {
			t.Errorf("compared a figure one run did not measure: %+v", c)
		}
	}
}

// TestReadResultRoundTrip reads back what --json writes, and refuses a
// file that is not a result.
func TestReadResultRoundTrip(t *testing.T) {
	a, _ := smallAndLarge()
	dir := t.TempDir()
	path := filepath.Join(dir, "a.json")
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadResult(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(a, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	other := filepath.Join(dir, "other.json")
	if err := os.WriteFile(other, []byte(`{"kind":"Deployment"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadResult(other); err == nil || !strings.Contains(err.Error(), "other.json") {
		t.Errorf("a file that is not a result: got %v, want an error naming it", err)
	}
}

func TestRatioSpread(t *testing.T) {
	for _, tc := range []struct {
		ratios         []float64
		median, lo, hi float64
	}{
		{[]float64{1.5}, 1.5, 1.5, 1.5},
		{[]float64{1.97, 1.46, 1.58}, 1.58, 1.46, 1.97},
		{[]float64{1.6, 1.4}, 1.5, 1.4, 1.6},
	} {
		rounds := make([]Round, len(tc.ratios))
		for i, r := range tc.ratios {
			rounds[i] = Round{Ratio: r}
		}
		median, lo, hi := ratioSpread(rounds)
		if math.Abs(median-tc.median) > 1e-9 || lo != tc.lo || hi != tc.hi {
			t.Errorf("ratioSpread(%v) = %v, %v, %v; want %v, %v, %v", tc.ratios, median, lo, hi, tc.median, tc.lo, tc.hi)
		}
	}
}

// Each concurrency is probed twice, the second pass mirroring the first;
// a single one is not probed.
func TestProbeOrder(t *testing.T) {
	for _, tc := range []struct{ concs, want []int }{
		{[]int{16, 64}, []int{16, 64, 64, 16}},
		{[]int{4, 16, 64}, []int{4, 16, 64, 64, 16, 4}},
		{[]int{16}, nil},
	} {
		if got := probeOrder(tc.concs); !slices.Equal(got, tc.want) {
			t.Errorf("probeOrder(%v) = %v, want %v", tc.concs, got, tc.want)
		}
	}
}

// The full run takes the concurrency whose probes were fastest on
// average, not the one with the fastest single probe, and of two as
// fast the higher.
func TestBestConcurrency(t *testing.T) {
	probes := func(concRates ...float64) []Probe {
		var ps []Probe
		for i := 0; i < len(concRates); i += 2 {
			ps = append(ps, Probe{Concurrency: int(concRates[i]), ObjectsPerSecond: concRates[i+1]})
		}
		return ps
	}
	for _, tc := range []struct {
		name   string
		probes []Probe
		want   int
	}{
		// The fastest probe, 115 at 4, loses to a faster mean at 64.
		{"mean, not best probe", probes(4, 115, 16, 70, 64, 74, 64, 110, 16, 80, 4, 66), 64},
		{"lower is faster", probes(16, 120, 64, 90, 64, 95, 16, 110), 16},
		{"tie goes higher", probes(16, 100, 64, 90, 64, 110, 16, 100), 64},
	} {
		if got := bestConcurrency(tc.probes); got != tc.want {
			t.Errorf("%s: bestConcurrency = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// A round keeps the CPU of its ceiling and of its cold sync, every
// process's and the API server's, and the report lists them by round.
func TestRoundKeepsItsCPU(t *testing.T) {
	r := &Result{
		Ceiling:  &Ceiling{Concurrency: 16, Seconds: 60, CPU: map[string]float64{cpuAPIServer: 80, "etcd": 20}},
		ColdSync: &ColdSync{Seconds: 78, ImpliedSeconds: 60, Ratio: 1.3, CPU: map[string]float64{cpuAPIServer: 100, "etcd": 22, cpuCapstan: 15, cpuWorkers: 2}},
	}
	round, ok := roundOf(r)
	want := Round{Concurrency: 16, CeilingSeconds: 60, ColdSyncSeconds: 78, Ratio: 1.3, CeilingCPU: 100, CeilingAPIServerCPU: 80, ColdSyncCPU: 139, ColdSyncAPIServerCPU: 100}
	if !ok || round != want {
		t.Fatalf("roundOf = %+v, %v; want %+v", round, ok, want)
	}
	r.Rounds = []Round{round, round}
	if got := cpuOfRounds(r.Rounds); got != "100.0 | 139.0 (80.0 | 100.0), 100.0 | 139.0 (80.0 | 100.0), the API server's in brackets" {
		t.Errorf("cpuOfRounds = %q", got)
	}
	found := false
	for _, row := range rows(r) {
		found = found || strings.Contains(row.value, "100.0 | 139.0 (80.0 | 100.0)")
	}
	if !found {
		t.Errorf("the report lists no CPU by round: %+v", rows(r))
	}
}

// The two counts of capstan's requests differ by the watches that span
// an edge of the window, and by nothing else.
func TestSameCountAllowsTheWatches(t *testing.T) {
	for _, tc := range []struct {
		client, server, watches float64
		same                    bool
	}{
		{5, 5, 5, true},
		{12717, 12718, 11, true},
		{12718, 12707, 11, true},
		{12700, 12718, 11, false},
		{10, 11, 0, false},
	} {
		q := Requests{Total: tc.server, ClientTotal: tc.client, ByVerb: map[string]float64{"watch": tc.watches}}
		if got := sameCount(q); got != tc.same {
			t.Errorf("client %v, server %v, %v watches: same = %v, want %v", tc.client, tc.server, tc.watches, got, tc.same)
		}
	}
}
