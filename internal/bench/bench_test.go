package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// repoRoot finds the module root (the directory of go.mod) above the test.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// TestRunTinyW1 runs the whole benchmark at three apps so that it cannot
// rot. It asserts that every figure was produced and that the workload
// converged (the program fails when an app never becomes Synced and
// Healthy, a change is not applied or a drift not reverted), never a timing.
func TestRunTinyW1(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane and capstan")
	}
	root := repoRoot(t)
	// CAPSTAN_BENCH_BIN_DIR measures a capstan built elsewhere.
	binDir := filepath.Join(root, "bin")
	if dir := os.Getenv("CAPSTAN_BENCH_BIN_DIR"); dir != "" {
		binDir = dir
	}
	if _, err := os.Stat(filepath.Join(binDir, "capstan")); errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s/capstan is missing: run `make build controlplane` (make test does)", binDir)
	}
	opts := DefaultOptions()
	opts.Apps = 3
	opts.Idle = 3 * time.Second
	opts.SingleChanges = 2
	opts.PollInterval = 5 * time.Second
	opts.PollChangeInterval = time.Second
	opts.Concurrencies = []int{2, 4}
	opts.Rounds = 2
	opts.ConvergeTimeout = 2 * time.Minute
	opts.BinDir, opts.CRDDir = binDir, filepath.Join(root, "config", "crd")
	opts.JSONFile = filepath.Join(t.TempDir(), "bench.json")
	opts.WorkDir = t.TempDir()
	opts.HeapProfiles = true // off by default: the test checks they are taken and saved
	opts.APIServerProfiles = true
	var out, log bytes.Buffer
	opts.Out, opts.Log = &out, &log

	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("Run: %v\nprogress:\n%s\ntable:\n%s", err, log.String(), out.String())
	}
	checkFigures(t, res)
	checkJSON(t, opts.JSONFile, res)
	if len(res.Rounds) != 2 {
		t.Errorf("%d rounds of the ceiling and the cold sync, want 2: %+v", len(res.Rounds), res.Rounds)
	}
	for i, r := range res.Rounds {
		if r.CeilingSeconds <= 0 || r.ObjectsPerSecond <= 0 || r.ColdSyncSeconds <= 0 || r.Ratio <= 0 {
			t.Errorf("round %d not measured: %+v", i+1, r)
		}
	}
	if n := len(res.Rounds); n > 0 && res.ColdSync != nil && res.Rounds[n-1].Ratio != res.ColdSync.Ratio {
		t.Errorf("the last round (%+v) is not the full run's (ratio %.2f)", res.Rounds[n-1], res.ColdSync.Ratio)
	}
	for _, want := range []string{"median of 2 rounds", "R_max", "to all Synced+Healthy", "Git ls-remote", "1 app, webhook", "per changed app, status writes aside", "sync revision moved only", "polling", "reverted", "per object reverted", "start to /readyz", "peak (VmHWM)", "phase of the top sample", "top sample by phase", "RssAnon / RssFile, idle", "heap profile, idle", "api server", "api server CPU profiles", "probes, concurrency 2", "probes, concurrency 4", "ceiling to all Available", "last Deployment Available", "Applications Synced+Healthy", "cores busy in each tenth"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, out.String())
		}
	}
	// Each round names the concurrency its ceiling ran at.
	if !regexp.MustCompile(`\d+\.\ds / \d+\.\ds at [24], \d+\.\ds / \d+\.\ds at [24]\)`).MatchString(out.String()) {
		t.Errorf("the rounds do not name their ceiling's concurrency:\n%s", out.String())
	}
}

// checkCores checks the cores busy in each tenth of a cold sync: none
// negative, none above the machine's (with room for the clock ticks in
// which /proc counts), and some of them the API server's and capstan's,
// which both worked in it.
func checkCores(t *testing.T, tl []TimelinePoint, machineCores int) {
	t.Helper()
	var api, capstan float64
	for _, p := range tl {
		if p.Cores < 0 || p.APIServerCores < 0 || p.CapstanCores < 0 || p.Cores > float64(machineCores)+0.5 ||
			p.APIServerCores+p.CapstanCores > p.Cores+0.05 {
			t.Errorf("cores busy at %d%%: %.2f in all, %.2f kube-apiserver, %.2f capstan", p.Percent, p.Cores, p.APIServerCores, p.CapstanCores)
		}
		api += p.APIServerCores
		capstan += p.CapstanCores
	}
	if api <= 0 || capstan <= 0 {
		t.Errorf("no cores busy for the API server (%.2f in all tenths) or capstan (%.2f): %+v", api, capstan, tl)
	}
}

// checkAPIProfiles checks that a phase was profiled, in CPU profiles of
// the API server that pprof reads and that hold samples.
func checkAPIProfiles(t *testing.T, phase string, files []string) {
	t.Helper()
	if len(files) == 0 {
		t.Errorf("%s: no API server CPU profile", phase)
		return
	}
	var sampled int
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Errorf("%s: %v", phase, err)
			continue
		}
		p, err := profile.ParseData(raw)
		if err != nil || len(p.SampleType) == 0 || p.SampleType[len(p.SampleType)-1].Type != "cpu" {
			t.Errorf("%s: %s is no CPU profile: %v", phase, f, err)
			continue
		}
		sampled += len(p.Sample)
	}
	if sampled == 0 {
		t.Errorf("%s: the API server's profiles %v sampled nothing", phase, files)
	}
}

func checkFigures(t *testing.T, r *Result) {
	t.Helper()
	if r.Scale.Objects != 15 || r.Machine.Cores == 0 || r.Machine.MemoryBytes == 0 || !strings.Contains(r.Capstan.Version, "capstan") {
		t.Errorf("header incomplete: %+v %+v %+v", r.Scale, r.Machine, r.Capstan)
	}
	if c := r.Ceiling; c == nil || c.ObjectsPerSecond <= 0 || c.Objects != 15 || len(c.Probes) != 4 {
		t.Errorf("ceiling: %+v", c)
	} else if c.Available != 3 || c.AvailableSeconds <= 0 {
		t.Errorf("ceiling to all Available: %d Deployments, %.1fs", c.Available, c.AvailableSeconds)
	}
	if r.Ceiling != nil && r.ColdSync != nil {
		checkAPIProfiles(t, "ceiling", r.Ceiling.Profiles)
		checkAPIProfiles(t, "cold sync", r.ColdSync.Profiles)
	}
	// Each side's split names the API server, which did work in both, and
	// the cold sync's names capstan and its render workers, which rendered
	// the three apps.
	if c := r.Ceiling; c != nil && c.CPU[cpuAPIServer] <= 0 {
		t.Errorf("ceiling CPU by process: %v", c.CPU)
	}
	if c := r.ColdSync; c != nil && (c.CPU[cpuAPIServer] <= 0 || c.CPU[cpuCapstan] <= 0 || c.CPU[cpuWorkers] <= 0) {
		t.Errorf("cold sync CPU by process: %v", c.CPU)
	}
	// The breakdown comes from two watches whose events need not
	// arrive in order between them: only each one's own order is asserted.
	if c := r.ColdSync; c != nil && (c.FirstCreatedSeconds <= 0 || c.LastCreatedSeconds < c.FirstCreatedSeconds ||
		c.LastAvailableSeconds <= 0 || c.AvailableRatio <= 0 || len(c.Timeline) != 10 || c.Timeline[9].Synced != 3) {
		t.Errorf("cold sync breakdown: %+v", c)
	}
	if c := r.ColdSync; c != nil && len(c.Timeline) == 10 {
		checkCores(t, c.Timeline, r.Machine.Cores)
	}
	if c := r.ColdSync; c == nil || c.Converged != 3 || c.Seconds <= 0 || c.Ratio <= 0 {
		t.Errorf("cold sync: %+v", c)
	} else if c.Requests.Total == 0 || c.Requests.ByVerb["patch"] == 0 || c.Requests.ClientTotal == 0 {
		// capstan applied 15 objects: if the API server counted nothing for
		// it, the FlowSchemas do not attribute its requests.
		t.Errorf("cold sync requests not attributed to capstan: %+v", c.Requests)
	}
	// The API server's own latency: its writes of the ceiling's loop and of
	// capstan's cold sync (W1 objects, status, Events, controllers' own).
	for _, phase := range []string{phaseCeiling, phaseColdSync} {
		if l, ok := r.serverLatency(phase); !ok || l.Writes.N < 15 || l.Writes.P50 <= 0 || l.Writes.P99 < l.Writes.P50 {
			t.Errorf("API server latency, %s: %+v", phase, l)
		}
	}
	if i := r.Idle; i == nil || i.Seconds < 3 || i.ExpectedLsRemote <= 0 {
		t.Errorf("idle: %+v", i)
	}
	if c := r.Change; c == nil || c.Single.N != 2 || c.Batch.N != 1 || c.Poll.N != 1 || c.BatchRequests.Total == 0 {
		t.Errorf("change: %+v", c)
	} else if x := c.Cost; x.ChangedApps != 1 || x.AppliesPerApp == 0 || x.StatusWrites == 0 ||
		x.ChangedAppsWritten != 1 || x.RevisionOnlyApps != 2 || x.StoredWrites() == 0 {
		// The push moves the sync revision of all three apps; the changed
		// one's status changes too.
		t.Errorf("the change's cost is not decomposed: %+v", x)
	}
	if d := r.Drift; d == nil || d.Objects != 1 || d.Latency.N != 1 || d.RequestsPerObject() == 0 {
		t.Errorf("drift: %+v", d)
	}
	if x := r.Restart; x == nil || x.ReadySeconds <= 0 || x.ReconciledSeconds < x.ReadySeconds {
		t.Errorf("restart: %+v", x)
	}
	// The first process is followed from its cold sync to its restart.
	followed := []string{"cold sync", "idle", "change through the webhook", "drift", "restart"}
	if m := r.Memory; m == nil || m.PeakBytes <= 0 || m.SteadyBytes <= 0 || m.RestartPeakBytes <= 0 || m.BudgetBytes <= 0 ||
		m.SelfPeakBytes <= 0 || m.SelfPeakBytes > m.PeakBytes || m.PeakPSSBytes <= 0 || m.PeakPSSBytes > m.PeakBytes ||
		m.RestartSelfPeakBytes <= 0 || m.RestartSelfPeakBytes > m.RestartPeakBytes ||
		m.RestartPeakPSSBytes <= 0 || m.RestartPeakPSSBytes > m.RestartPeakBytes ||
		!slices.Contains(followed, m.PeakPhase) || !slices.Contains(followed, m.SelfPeakPhase) {
		t.Errorf("memory: %+v", m)
	} else {
		// Each phase's own top, in the order they ran; the highest of
		// them is in the phase named as capstan's own top.
		var highest PhasePeak
		for i, p := range m.SelfPeakByPhase {
			if !slices.Contains(followed, p.Phase) || p.SelfRSSBytes <= 0 || p.SelfRSSBytes > m.SelfPeakBytes ||
				i > 0 && slices.Index(followed, p.Phase) <= slices.Index(followed, m.SelfPeakByPhase[i-1].Phase) {
				t.Errorf("memory by phase: %+v", m.SelfPeakByPhase)
			}
			if p.SelfRSSBytes > highest.SelfRSSBytes {
				highest = p
			}
			// The controller starts its first worker as it starts, and
			// keeps it until it stops.
			if p.Workers < 1 && p.Phase != "restart" {
				t.Errorf("memory by phase: no render worker sampled in %s: %+v", p.Phase, m.SelfPeakByPhase)
			}
		}
		if highest.Phase != m.SelfPeakPhase {
			t.Errorf("capstan's own top sample in %s, but the highest by phase is %+v", m.SelfPeakPhase, highest)
		}
		for name, s := range map[string]RSS{"peak": m.Peak, "steady": m.Steady, "restart": m.Restart} {
			if s.AnonBytes <= 0 || s.FileBytes <= 0 || s.AnonBytes+s.FileBytes > s.RSSBytes {
				t.Errorf("memory, %s: RssAnon/RssFile not read: %+v", name, s)
			}
			if s.PSSBytes <= 0 || s.PSSBytes > s.RSSBytes || s.SelfRSSBytes <= 0 || s.SelfRSSBytes > s.RSSBytes {
				t.Errorf("memory, %s: PSS or capstan's own RSS not read: %+v", name, s)
			}
		}
		for _, k := range []string{"peak", "idle"} {
			if fi, err := os.Stat(m.HeapProfiles[k]); err != nil || fi.Size() == 0 {
				t.Errorf("heap profile at %s not saved: %v", k, err)
			}
		}
	}
}

func checkJSON(t *testing.T, path string, want *Result) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the JSON file was not written: %v", err)
	}
	var got Result
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	if got.Scale != want.Scale || got.ColdSync == nil || got.Memory == nil || got.Ceiling == nil {
		t.Errorf("JSON differs from the result: %+v", got)
	}
}

// TestChangeCostSplitsStatusWrites checks the decomposition of a change's
// status writes by whose they are, from two readings of the
// Applications' stored writes.
func TestChangeCostSplitsStatusWrites(t *testing.T) {
	before := map[string]appSeen{
		"changed":  {revisionMoves: 1},
		"follower": {revisionMoves: 1},
		"chatty":   {revisionMoves: 1, otherMoves: 4},
		"quiet":    {otherMoves: 2},
	}
	after := map[string]appSeen{
		"changed":  {revisionMoves: 2, otherMoves: 1}, // revision, then its sync
		"follower": {revisionMoves: 2},                // revision only
		"chatty":   {revisionMoves: 2, otherMoves: 5}, // revision and one more
		"quiet":    {otherMoves: 2},                   // untouched
	}
	r := Requests{ByVerb: map[string]float64{"patch": 2, "get": 1, "event-write": 2, "status-write": 5, "watch": 3}}
	got := changeCost(r, []App{{Name: "changed"}, {Name: "other-changed"}}, before, after)
	want := ChangeCost{
		ChangedApps: 2, AppliesPerApp: 1, ReadsPerApp: 0.5, EventsPerApp: 1, Watches: 3, StatusWrites: 5,
		ChangedAppsWritten: 1, ChangedAppWrites: 2,
		RevisionOnlyApps: 1, RevisionOnlyWrites: 1,
		OtherApps: 1, OtherWrites: 2,
	}
	if got != want {
		t.Fatalf("changeCost:\n got %+v\nwant %+v", got, want)
	}
	// 2.5 requests per changed app, and 5 status writes for 2 apps with a
	// reason to change.
	if got.RequestsPerApp() != 2.5 || got.StatusChangedApps() != 2 || got.StoredWrites() != 5 || got.Met() {
		t.Errorf("verdict inputs: %.2f requests per app, %d apps, %d stored, met %v",
			got.RequestsPerApp(), got.StatusChangedApps(), got.StoredWrites(), got.Met())
	}
}

// A concurrency named twice would be probed four times.
func TestCeilingConcurrenciesAreDistinct(t *testing.T) {
	for _, tc := range []struct {
		concs []int
		ok    bool
	}{
		{[]int{16, 64}, true},
		{[]int{16}, true},
		{[]int{16, 16}, false},
		{[]int{16, 64, 16}, false},
		{[]int{0, 16}, false},
	} {
		opts := DefaultOptions()
		opts.Concurrencies = tc.concs
		if err := opts.validate(); (err == nil) != tc.ok {
			t.Errorf("--ceiling-concurrency %v: got %v, want ok %v", tc.concs, err, tc.ok)
		}
	}
}

// TestSkipNeedsWhatFollows refuses skips that would leave a later phase
// without what it measures.
func TestSkipNeedsWhatFollows(t *testing.T) {
	for _, tc := range []struct {
		skip []string
		err  string
	}{
		{[]string{"restart", "poll", "memory"}, ""},
		{[]string{"change", "drift"}, ""},
		{[]string{"cold sync"}, `no phase "cold sync"`},
		{[]string{"restart"}, "needs --skip poll"},
		{[]string{"idle"}, "needs --skip memory"},
	} {
		opts := DefaultOptions()
		opts.Skip = tc.skip
		err := opts.validate()
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("--skip %v: got %v, want %q", tc.skip, err, tc.err)
		}
	}
}
