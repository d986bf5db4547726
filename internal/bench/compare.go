package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"text/tabwriter"
)

// scaling says how a figure should grow with the number of apps if
// capstan scales linearly: in proportion (a total: time, memory, CPU) or
// not at all (a rate, a latency, a count per app).
type scaling int

const (
	grows scaling = iota
	flat
	// flatMoreBetter is a flat figure of which more is better: a rate.
	flatMoreBetter
)

// Comparison is one figure of two runs: its values, B's growth over A
// and that growth against linear scaling (1 is linear, less is better).
type Comparison struct {
	Figure        string
	Unit          string
	A, B          float64
	Growth        float64
	AgainstLinear float64
}

// figure reads one figure of a result; ok is false when the run did not
// measure it.
type figure struct {
	name, unit string
	scales     scaling
	read       func(*Result) (float64, bool)
}

// figures are what a scaling comparison reads, in the order printed.
var figures = []figure{
	{"cold sync, to all Synced+Healthy", "s", grows, coldSync(func(c *ColdSync) float64 { return c.Seconds })},
	{"cold sync, last Deployment Available", "s", grows, func(r *Result) (float64, bool) {
		// 0: a result from before the benchmark recorded it.
		if r.ColdSync == nil || r.ColdSync.LastAvailableSeconds == 0 {
			return 0, false
		}
		return r.ColdSync.LastAvailableSeconds, true
	}},
	{"cold sync throughput", "objects/s", flatMoreBetter, func(r *Result) (float64, bool) {
		if r.ColdSync == nil || r.ColdSync.Seconds <= 0 {
			return 0, false
		}
		return float64(r.Scale.Objects) / r.ColdSync.Seconds, true
	}},
	{"R_max", "objects/s", flatMoreBetter, func(r *Result) (float64, bool) {
		return ceilingFig(r, func(c *Ceiling) float64 { return c.ObjectsPerSecond })
	}},
	{"ceiling to all Available", "s", grows, func(r *Result) (float64, bool) {
		// Only when all became Available within the bound.
		if r.Ceiling == nil || r.Ceiling.Available == 0 || r.Ceiling.Available < r.Ceiling.Namespaces {
			return 0, false
		}
		return r.Ceiling.AvailableSeconds, true
	}},
	{"cold sync ratio to R_max", "", flat, coldSync(func(c *ColdSync) float64 { return c.Ratio })},
	{"cold sync ratio, median of rounds", "", flat, func(r *Result) (float64, bool) {
		if len(r.Rounds) < 2 {
			return 0, false
		}
		median, _, _ := ratioSpread(r.Rounds)
		return median, true
	}},
	{"cold sync API requests per app", "", flat, coldSync(func(c *ColdSync) float64 { return c.RequestsPerApp })},
	{"cold sync capstan CPU", "s", grows, coldSync(func(c *ColdSync) float64 { return c.CPUSeconds })},
	{"API server, cold sync, read p50", "s", flat, server(phaseColdSync, func(l ServerLatency) HistLatency { return l.Reads }, 0.5)},
	{"API server, cold sync, read p99", "s", flat, server(phaseColdSync, func(l ServerLatency) HistLatency { return l.Reads }, 0.99)},
	{"API server, cold sync, write p50", "s", flat, server(phaseColdSync, func(l ServerLatency) HistLatency { return l.Writes }, 0.5)},
	{"API server, cold sync, write p99", "s", flat, server(phaseColdSync, func(l ServerLatency) HistLatency { return l.Writes }, 0.99)},
	{"API server, ceiling, write p50", "s", flat, server(phaseCeiling, func(l ServerLatency) HistLatency { return l.Writes }, 0.5)},
	{"API server, ceiling, write p99", "s", flat, server(phaseCeiling, func(l ServerLatency) HistLatency { return l.Writes }, 0.99)},
	{"memory, peak (PSS)", "MiB", grows, memoryFig(func(m *Memory) int64 { return m.PeakPSSBytes })},
	{"memory, capstan alone, peak (VmHWM)", "MiB", grows, memoryFig(func(m *Memory) int64 { return m.SelfPeakBytes })},
	{"memory, peak (every VmHWM added)", "MiB", grows, memoryFig(func(m *Memory) int64 { return m.PeakBytes })},
	{"memory, idle (VmRSS)", "MiB", grows, memoryFig(func(m *Memory) int64 { return m.SteadyBytes })},
	{"memory, peak after restart (PSS)", "MiB", grows, memoryFig(func(m *Memory) int64 { return m.RestartPeakPSSBytes })},
	{"memory, peak after restart (every VmHWM added)", "MiB", grows, memoryFig(func(m *Memory) int64 { return m.RestartPeakBytes })},
	{"restart, to all reconciled once", "s", grows, func(r *Result) (float64, bool) {
		if r.Restart == nil {
			return 0, false
		}
		return r.Restart.ReconciledSeconds, true
	}},
	{"drift healed, p99", "s", flat, func(r *Result) (float64, bool) {
		if r.Drift == nil || r.Drift.Latency.N == 0 {
			return 0, false
		}
		return r.Drift.Latency.P99, true
	}},
}

func coldSync(f func(*ColdSync) float64) func(*Result) (float64, bool) {
	return func(r *Result) (float64, bool) {
		if r.ColdSync == nil {
			return 0, false
		}
		return f(r.ColdSync), true
	}
}

func ceilingFig(r *Result, f func(*Ceiling) float64) (float64, bool) {
	if r.Ceiling == nil {
		return 0, false
	}
	return f(r.Ceiling), true
}

func memoryFig(f func(*Memory) int64) func(*Result) (float64, bool) {
	return func(r *Result) (float64, bool) {
		// A figure a run did not read (older results have no PSS) is 0.
		if r.Memory == nil || f(r.Memory) == 0 {
			return 0, false
		}
		return mib(f(r.Memory)), true
	}
}

// server reads a quantile (0.5 or 0.99) of the API server's latency in a
// phase, of reads or writes.
func server(phase string, of func(ServerLatency) HistLatency, q float64) func(*Result) (float64, bool) {
	return func(r *Result) (float64, bool) {
		l, ok := r.serverLatency(phase)
		if !ok || of(l).N == 0 {
			return 0, false
		}
		if q == 0.5 {
			return of(l).P50, true
		}
		return of(l).P99, true
	}
}

// Compare sets the figures of b against a's: each one both runs measured,
// its growth, and that growth against what linear scaling in the number
// of apps allows (a total grows as the apps, a flat figure not at all).
func Compare(a, b *Result) []Comparison {
	apps := float64(b.Scale.Apps) / float64(a.Scale.Apps)
	var out []Comparison
	for _, f := range figures {
		va, okA := f.read(a)
		vb, okB := f.read(b)
		if !okA || !okB {
			continue
		}
		c := Comparison{Figure: f.name, Unit: f.unit, A: va, B: vb, Growth: math.NaN(), AgainstLinear: math.NaN()}
		if va != 0 {
			c.Growth = vb / va
			switch f.scales {
			case grows:
				c.AgainstLinear = c.Growth / apps
			case flat:
				c.AgainstLinear = c.Growth
			case flatMoreBetter:
				if vb != 0 {
					c.AgainstLinear = va / vb
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// WriteComparison prints Compare's table.
func WriteComparison(w io.Writer, a, b *Result) {
	fmt.Fprintf(w, "capstan benchmark: %d → %d apps (%.1f× the apps); linear scaling is 1.00 in the last column, less is better\n",
		a.Scale.Apps, b.Scale.Apps, float64(b.Scale.Apps)/float64(a.Scale.Apps))
	fmt.Fprintf(w, "A: %s, %s\nB: %s, %s\n\n", a.Capstan.Version, a.Started.Format("2006-01-02 15:04"), b.Capstan.Version, b.Started.Format("2006-01-02 15:04"))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "figure\t%d apps\t%d apps\tgrowth\tagainst linear\t\n", a.Scale.Apps, b.Scale.Apps)
	for _, c := range Compare(a, b) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", c.Figure, value(c.A, c.Unit), value(c.B, c.Unit), factor(c.Growth, "×"), factor(c.AgainstLinear, ""))
	}
	tw.Flush()
}

func value(v float64, unit string) string {
	switch {
	case unit == "s":
		return secs(v)
	case unit == "":
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.1f %s", v, unit)
	}
}

func factor(f float64, suffix string) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "–"
	}
	return fmt.Sprintf("%.2f%s", f, suffix)
}

// ReadResult reads a result written by --json.
func ReadResult(path string) (*Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	if r.Scale.Apps < 1 {
		return nil, fmt.Errorf("%s: no scale.apps: not a capstan-bench --json result", path)
	}
	return &r, nil
}
