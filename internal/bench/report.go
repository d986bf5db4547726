package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
)

// row is one line of the table: a figure, its target and whether it met it.
type row struct {
	phase, measure, value, target, verdict string
}

// report prints the table and writes the JSON file.
func (b *bench) report() error {
	writeTable(b.opts.Out, b.res)
	if b.opts.JSONFile == "" {
		return nil
	}
	data, err := json.MarshalIndent(b.res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(b.opts.JSONFile, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", b.opts.JSONFile, err)
	}
	return nil
}

// writeTable prints the figures measured so far.
func writeTable(w io.Writer, r *Result) {
	fmt.Fprintf(w, "\ncapstan benchmark: W1, %d apps × %d objects = %d objects (ConfigMap %d B)\n",
		r.Scale.Apps, r.Scale.ObjectsPerApp, r.Scale.Objects, r.Scale.ConfigMapBytes)
	fmt.Fprintf(w, "%s; checkout %s\n", r.Capstan.Version, r.Capstan.Checkout)
	fmt.Fprintf(w, "machine: %d cores, %.1f GiB, %s; run took %.0fs\n\n",
		r.Machine.Cores, float64(r.Machine.MemoryBytes)/(1<<30), r.Machine.CPU, r.Seconds)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "phase\tmeasure\tvalue\ttarget\t")
	for _, x := range rows(r) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", x.phase, x.measure, x.value, x.target, x.verdict)
	}
	tw.Flush()
}

func verdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}

func rows(r *Result) []row {
	var out []row
	add := func(phase, measure, value, target string, ok *bool) {
		v := ""
		if ok != nil {
			v = verdict(*ok)
		}
		out = append(out, row{phase, measure, value, target, v})
	}
	if c := r.Ceiling; c != nil {
		add("ceiling", "R_max (bare SSA loop, fresh API server)", fmt.Sprintf("%.0f objects/s (%d objects, %d namespaces, %.1fs, concurrency %d)", c.ObjectsPerSecond, c.Objects, c.Namespaces, c.Seconds, c.Concurrency), "", nil)
		add("", "  its API requests per app", fmt.Sprintf("%d (namespace, %d applies)", 1+r.Scale.ObjectsPerApp, r.Scale.ObjectsPerApp), "", nil)
		if c.Available > 0 {
			add("", "ceiling to all Available", fmt.Sprintf("%.1fs (%d of %d Deployments; the floor of a cold sync that ends Healthy)", c.AvailableSeconds, c.Available, c.Namespaces), "", nil)
		}
		if len(c.Profiles) > 0 {
			add("", "api server CPU profiles", profileFiles(c.Profiles), "", nil)
		}
		rates := probeRates(c.Probes)
		for _, conc := range slices.Sorted(maps.Keys(rates)) {
			add("", fmt.Sprintf("probes, concurrency %d", conc), fmt.Sprintf("%s objects/s", joinRates(rates[conc])), "", nil)
		}
	}
	if c := r.ColdSync; c != nil {
		add("cold sync", "to all Synced+Healthy", fmt.Sprintf("%.1fs", c.Seconds), "", nil)
		if len(c.Profiles) > 0 {
			add("", "api server CPU profiles", profileFiles(c.Profiles), "", nil)
		}
		if c.ImpliedSeconds > 0 {
			add("", "time R_max implies", fmt.Sprintf("%.1fs", c.ImpliedSeconds), "", nil)
			if len(r.Rounds) > 1 {
				med, lo, hi := ratioSpread(r.Rounds)
				add("", "ratio, this round", fmt.Sprintf("%.2f", c.Ratio), "", nil)
				add("", fmt.Sprintf("ratio, median of %d rounds", len(r.Rounds)), fmt.Sprintf("%.2f (%.2f to %.2f: %s)", med, lo, hi, roundsOf(r.Rounds)), "≤ 1.3", new(med <= 1.3))
				add("", "  CPU-s by round, ceiling | cold sync", cpuOfRounds(r.Rounds), "", nil)
			} else {
				add("", "ratio", fmt.Sprintf("%.2f", c.Ratio), "≤ 1.3", new(c.Ratio <= 1.3))
			}
			add("", "throughput", fmt.Sprintf("%.0f objects/s = %.0f%% of R_max", float64(r.Scale.Objects)/c.Seconds, 100/c.Ratio), "", nil)
		}
		if c.AvailableRatio > 0 {
			add("", "ratio to ceiling to all Available", fmt.Sprintf("%.2f", c.AvailableRatio), "", nil)
		}
		add("", "  first Deployment created", fmt.Sprintf("%.1fs", c.FirstCreatedSeconds), "", nil)
		add("", "  last Deployment created", fmt.Sprintf("%.1fs (capstan's last apply of one, the last object of each app)", c.LastCreatedSeconds), "", nil)
		add("", "  last Deployment Available", fmt.Sprintf("%.1fs", c.LastAvailableSeconds), "", nil)
		add("", "  last Application Synced+Healthy", fmt.Sprintf("%.1fs", c.Seconds), "", nil)
		if len(c.Timeline) > 0 {
			add("", "  at 10%, 20% … 100% of it", timelineOf(c.Timeline, func(p TimelinePoint) int { return p.Created })+" Deployments created", "", nil)
			add("", "", timelineOf(c.Timeline, func(p TimelinePoint) int { return p.Available })+" Deployments Available", "", nil)
			add("", "", timelineOf(c.Timeline, func(p TimelinePoint) int { return p.Synced })+" Applications Synced+Healthy", "", nil)
			if c.Timeline[0].Cores > 0 {
				add("", "  cores busy in each tenth", coresOf(c.Timeline, func(p TimelinePoint) float64 { return p.Cores })+" all processes", "", nil)
				add("", "", coresOf(c.Timeline, func(p TimelinePoint) float64 { return p.APIServerCores })+" kube-apiserver", "", nil)
				add("", "", coresOf(c.Timeline, func(p TimelinePoint) float64 { return p.CapstanCores })+" capstan and its render workers", "", nil)
			}
		}
		add("", "API requests", fmt.Sprintf("%.0f (%.1f per app): %s", c.Requests.Total, c.RequestsPerApp, verbs(c.Requests.ByVerb)), "", nil)
		add("", "  per app, against the minimum", fmt.Sprintf("%.1f = %.2f × %.0f (namespace, %d applies, status)", c.RequestsPerApp, c.RequestsPerApp/c.MinRequestsPerApp, c.MinRequestsPerApp, r.Scale.ObjectsPerApp),
			fmt.Sprintf("≤ %.0f", c.MinRequestsPerApp), new(c.RequestsPerApp <= c.MinRequestsPerApp))
		add("", "client count (cross-check)", fmt.Sprintf("%.0f: %s", c.Requests.ClientTotal, verbs(c.Requests.Client)), sameTarget, new(sameCount(c.Requests)))
		add("", "writes (of which dry runs)", fmt.Sprintf("%.0f (%.0f)", c.Requests.Writes, c.Requests.DryRun), "", nil)
		add("", "capstan CPU", fmt.Sprintf("%.1fs", c.CPUSeconds), "", nil)
		if r.Ceiling != nil && len(r.Ceiling.CPU) > 0 && len(c.CPU) > 0 {
			add("", "CPU s by process, ceiling | cold sync", cpuSplitOf(r.Ceiling.CPU, c.CPU), "", nil)
		}
	}
	if i := r.Idle; i != nil {
		add("idle", "window", fmt.Sprintf("%.0fs", i.Seconds), "", nil)
		// Informers renew their watches every few minutes: not a reconcile's doing.
		add("", "API requests", fmt.Sprintf("%.0f: %s", i.Requests.Total, verbs(i.Requests.ByVerb)), "", nil)
		add("", "  other than watch renewals", fmt.Sprintf("%.0f", i.Requests.Total-i.Requests.ByVerb["watch"]), "0", new(i.Requests.Total-i.Requests.ByVerb["watch"] == 0))
		add("", "client count (cross-check)", fmt.Sprintf("%.0f: %s", i.Requests.ClientTotal, verbs(i.Requests.Client)), sameTarget, new(sameCount(i.Requests)))
		add("", "writes (status writes)", fmt.Sprintf("%.0f (%.0f)", i.Requests.Writes, i.StatusWrites), "0", new(i.Requests.Writes == 0))
		add("", "Git ls-remote / fetch", fmt.Sprintf("%d / %d", i.LsRemote, i.Fetch), fmt.Sprintf("≈ %.1f ls-remote (1 per interval)", i.ExpectedLsRemote),
			new(float64(i.LsRemote) <= i.ExpectedLsRemote+1 && i.Fetch == 0))
		add("", "capstan CPU", fmt.Sprintf("%.2fs (%.2f%% of a core)", i.CPUSeconds, 100*i.CPUSeconds/i.Seconds), "", nil)
	}
	if c := r.Change; c != nil {
		add("change", "1 app, webhook", latency(c.Single), "p50 ≤ 0.5s, p99 ≤ 2s", new(c.Single.N > 0 && c.Single.P50 <= 0.5 && c.Single.P99 <= 2))
		add("", fmt.Sprintf("%d apps, webhook", c.Batch.N), latency(c.Batch), "", nil)
		add("", "  its API requests", fmt.Sprintf("%.0f (%.1f per changed app): %s", c.BatchRequests.Total, c.RequestsPerApp, verbs(c.BatchRequests.ByVerb)), "", nil)
		x := c.Cost
		add("", "  per changed app, status writes aside", fmt.Sprintf("%.2f: %.2f applies, %.2f reads, %.2f Event writes, %.2f other (and %.0f watch renewals)",
			x.RequestsPerApp(), x.AppliesPerApp, x.ReadsPerApp, x.EventsPerApp, x.OtherPerApp, x.Watches), "≤ 2", new(x.ChangedApps > 0 && x.RequestsPerApp() <= 2))
		add("", "  status writes", fmt.Sprintf("%.0f for %d apps whose status had a reason to change", x.StatusWrites, x.StatusChangedApps()),
			"≤ 1 per such app", new(x.StatusWrites <= float64(x.StatusChangedApps())))
		add("", "    of changed apps", fmt.Sprintf("%d stored, on %d of the %d", x.ChangedAppWrites, x.ChangedAppsWritten, x.ChangedApps), "", nil)
		add("", "    sync revision moved only", fmt.Sprintf("%d stored, on %d unchanged apps", x.RevisionOnlyWrites, x.RevisionOnlyApps), "", nil)
		add("", "    other", fmt.Sprintf("%d stored, on %d unchanged apps", x.OtherWrites, x.OtherApps), "0", new(x.OtherWrites == 0))
		add("", "    stored nothing", fmt.Sprintf("%.0f", x.StatusWrites-float64(x.StoredWrites())), "0", new(x.StatusWrites <= float64(x.StoredWrites())))
		add("", fmt.Sprintf("%d apps, polling every %.0fs", c.Poll.N, r.Settings.PollChangeInterval), latency(c.Poll), "", nil)
	}
	if d := r.Drift; d != nil {
		add("drift", fmt.Sprintf("%d objects reverted", d.Objects), latency(d.Latency), "p99 ≤ 2s", new(d.Latency.P99 <= 2))
		add("", "API requests", fmt.Sprintf("%.0f: %s", d.Request.Total, verbs(d.Request.ByVerb)), "", nil)
		// A heal needs an apply and a status write, and records one Event
		// (the watch tells the drift; see docs/performance.md, request
		// budgets).
		add("", "  per object reverted, watches aside", fmt.Sprintf("%.2f: %s", d.RequestsPerObject(), perObject(d.Request.ByVerb, d.Objects)),
			"3 (apply, status, Event)", new(d.Objects > 0 && d.RequestsPerObject() <= 3))
	}
	if x := r.Restart; x != nil {
		add("restart", "stop (SIGTERM)", fmt.Sprintf("%.2fs", x.StopSeconds), "", nil)
		add("", "start to /readyz", fmt.Sprintf("%.2fs", x.ReadySeconds), "", nil)
		add("", "start to all reconciled once", fmt.Sprintf("%.1fs", x.ReconciledSeconds), "", nil)
		add("", "API requests", fmt.Sprintf("%.0f: %s", x.Requests.Total, verbs(x.Requests.ByVerb)), "", nil)
		add("", "writes (of which dry runs)", fmt.Sprintf("%.0f (%.0f)", x.Requests.Writes, x.Requests.DryRun), "", nil)
		add("", "  dry runs", fmt.Sprintf("%.0f", x.Requests.DryRun), "0", new(x.Requests.DryRun == 0))
		add("", "objects changed", fmt.Sprintf("%d", x.Changed), "0", new(x.Changed == 0 && x.Requests.Writes-x.Requests.DryRun == 0))
	}
	if m := r.Memory; m != nil {
		// Judged on the pages capstan and its render workers hold,
		// each counted once (PSS), and on capstan's own VmHWM; the
		// sums of VmHWM err high (see Memory).
		budget := fmt.Sprintf("≤ %.1f MiB", mib(m.BudgetBytes))
		within := func(n int64) *bool { return new(n <= m.BudgetBytes) }
		add("memory", "peak, with render workers (PSS)", fmt.Sprintf("%.1f MiB", mib(m.PeakPSSBytes)), budget, within(m.PeakPSSBytes))
		add("", "  capstan alone, peak (VmHWM)", fmt.Sprintf("%.1f MiB", mib(m.SelfPeakBytes)), budget, within(m.SelfPeakBytes))
		add("", "  every process's VmHWM added", fmt.Sprintf("%.1f MiB", mib(m.PeakBytes)), "", nil)
		add("", "idle (PSS)", fmt.Sprintf("%.1f MiB", mib(m.Steady.PSSBytes)), budget, within(m.Steady.PSSBytes))
		add("", "  VmRSS added", fmt.Sprintf("%.1f MiB", mib(m.SteadyBytes)), "", nil)
		add("", "peak after restart (PSS)", fmt.Sprintf("%.1f MiB", mib(m.RestartPeakPSSBytes)), budget, within(m.RestartPeakPSSBytes))
		add("", "  capstan alone (VmHWM)", fmt.Sprintf("%.1f MiB", mib(m.RestartSelfPeakBytes)), budget, within(m.RestartSelfPeakBytes))
		add("", "  every process's VmHWM added", fmt.Sprintf("%.1f MiB", mib(m.RestartPeakBytes)), "", nil)
		if m.PeakPhase != "" {
			add("", "  phase of the top sample", fmt.Sprintf("%s (capstan alone: %s)", m.PeakPhase, m.SelfPeakPhase), "", nil)
		}
		if len(m.SelfPeakByPhase) > 0 {
			var by []string
			for _, p := range m.SelfPeakByPhase {
				by = append(by, fmt.Sprintf("%s %.1f", p.Phase, mib(p.SelfRSSBytes)))
			}
			add("", "  capstan alone, top sample by phase", strings.Join(by, ", ")+" MiB", "", nil)
			by = by[:0]
			for _, p := range m.SelfPeakByPhase {
				by = append(by, fmt.Sprintf("%s %d", p.Phase, p.Workers))
			}
			add("", "  render workers, most alive by phase", strings.Join(by, ", "), "", nil)
		}
		// RssFile is mostly the binary's text, RssAnon the Go heap and stacks.
		add("", "RssAnon / RssFile, top sample", split(m.Peak), "", nil)
		add("", "RssAnon / RssFile, idle", split(m.Steady), "", nil)
		add("", "RssAnon / RssFile, after restart", split(m.Restart), "", nil)
		add("", "the benchmark's own peak (VmHWM)", fmt.Sprintf("%.1f MiB", mib(m.BenchPeakBytes)), "", nil)
		for _, k := range slices.Sorted(maps.Keys(m.HeapProfiles)) {
			add("", "heap profile, "+k, m.HeapProfiles[k], "", nil)
		}
	}
	phase := "api server"
	for _, l := range r.APIServer {
		add(phase, l.Phase, fmt.Sprintf("reads %s; writes %s", histLatency(l.Reads), histLatency(l.Writes)), "", nil)
		phase = ""
	}
	return out
}

// timelineOf prints one count of each point, space-separated.
func timelineOf(ps []TimelinePoint, count func(TimelinePoint) int) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprint(count(p))
	}
	return strings.Join(parts, " ")
}

// coresOf prints one figure of cores of each point, space-separated.
func coresOf(ps []TimelinePoint, cores func(TimelinePoint) float64) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%.2f", cores(p))
	}
	return strings.Join(parts, " ")
}

func histLatency(l HistLatency) string {
	if l.N == 0 {
		return "none"
	}
	return fmt.Sprintf("p50 %s p99 %s (n=%.0f)", secs(l.P50), secs(l.P99), l.N)
}

func split(r RSS) string {
	return fmt.Sprintf("%.1f / %.1f MiB (VmRSS %.1f MiB: capstan %.1f + %d render workers; PSS %.1f MiB)",
		mib(r.AnonBytes), mib(r.FileBytes), mib(r.RSSBytes), mib(r.SelfRSSBytes), r.Workers, mib(r.PSSBytes))
}

func latency(l Latency) string {
	if l.N == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %s  p95 %s  p99 %s  max %s  (n=%d)", secs(l.P50), secs(l.P95), secs(l.P99), secs(l.Max), l.N)
}

func secs(s float64) string {
	if s < 10 {
		return fmt.Sprintf("%.3fs", s)
	}
	return fmt.Sprintf("%.1fs", s)
}

// perObject prints non-zero counts by key but watches, divided by n.
func perObject(m map[string]float64, n int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] != 0 && k != "watch" && n > 0 {
			parts = append(parts, fmt.Sprintf("%s %.2f", k, m[k]/float64(n)))
		}
	}
	return strings.Join(parts, ", ")
}

// verbs prints non-zero counts by key, in key order.
func verbs(m map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] != 0 {
			parts = append(parts, fmt.Sprintf("%s %.0f", k, m[k]))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// roundsOf lists each round's cold sync against its ceiling.
func roundsOf(rounds []Round) string {
	parts := make([]string, len(rounds))
	for i, r := range rounds {
		parts[i] = fmt.Sprintf("%.1fs / %.1fs at %d", r.ColdSyncSeconds, r.CeilingSeconds, r.Concurrency)
	}
	return strings.Join(parts, ", ")
}

// profileFiles names a phase's profile windows: how many, and the first.
func profileFiles(files []string) string {
	return fmt.Sprintf("%d windows of %s, from %s", len(files), apiProfileWindow, files[0])
}

// joinRates lists rates of objects per second, in the order measured.
func joinRates(rates []float64) string {
	parts := make([]string, len(rates))
	for i, r := range rates {
		parts[i] = fmt.Sprintf("%.0f", r)
	}
	return strings.Join(parts, ", ")
}

// cpuOfRounds lists each round's CPU-seconds, ceiling against cold sync,
// of every process and, in brackets, of the API server.
func cpuOfRounds(rounds []Round) string {
	parts := make([]string, len(rounds))
	for i, r := range rounds {
		parts[i] = fmt.Sprintf("%.1f | %.1f (%.1f | %.1f)", r.CeilingCPU, r.ColdSyncCPU, r.CeilingAPIServerCPU, r.ColdSyncAPIServerCPU)
	}
	return strings.Join(parts, ", ") + ", the API server's in brackets"
}

// sameTarget is the target of the cross-check of the two counts.
const sameTarget = "same, ± watches"

// sameCount reports whether capstan's own count of its requests agrees
// with the API server's. Both count every request once, but a watch at
// different moments: capstan's client when the watch opens, the API server
// when it ends. A watch that spans an edge of the window is thus counted
// on one side only, and the counts may differ by as many watches as the
// window holds.
func sameCount(q Requests) bool {
	return math.Abs(q.ClientTotal-q.Total) <= q.ByVerb["watch"]
}
