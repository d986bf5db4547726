// Package bench is capstan's end-to-end benchmark, the program behind
// `make bench`. It starts a local control plane and a Git HTTP server,
// runs the real capstan binary against them under its own ServiceAccount,
// and measures workload W1 (N apps × a Deployment, a Service, a
// ServiceAccount, a ConfigMap and a Role, one namespace each, one Git
// repository) against the ceiling of an API server of the same build,
// measured first on fresh control planes of its own: cold sync, idle
// cost, change and drift latency, restart and memory. capstan's requests
// are counted by the API server itself, through one API Priority and
// Fairness FlowSchema per verb matching capstan's identity, and
// cross-checked with capstan's own client metrics. Timings are reported,
// never asserted.
package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Options configure a run. DefaultOptions holds the defaults.
type Options struct {
	Apps           int
	ConfigMapBytes int
	// Idle is the window with nothing changing.
	Idle time.Duration
	// DriftFraction of the managed objects are edited by another client.
	DriftFraction float64
	// ChangeFraction of the apps are touched by the batch commit.
	ChangeFraction float64
	// SingleChanges is how many one-app commits are timed.
	SingleChanges int
	// PollInterval is timeout.reconciliation for all phases but the
	// polling change; PollChangeInterval is for that one.
	PollInterval       time.Duration
	PollChangeInterval time.Duration
	// Workers is capstan's --workers.
	Workers int
	// CapstanArgs are more flags for capstan run, such as
	// --render-isolation=none to measure what render workers cost.
	CapstanArgs []string
	// HeapProfiles runs capstan with --profiling and takes its heap
	// profile at each new peak and at idle. Off, capstan runs as it does
	// by default: writing a profile names every sampled address from the
	// binary's function tables, which capstan then holds in its RSS.
	HeapProfiles bool
	// APIServerProfiles starts the control planes with the API server's
	// profiling on, and takes its CPU profiles through the ceiling's full
	// run and the cold sync (see profileAPIServer).
	APIServerProfiles bool
	// Concurrencies are tried by the ceiling's apply loop, each probed
	// twice, and the full run takes the best (bestConcurrency); a single
	// one is not probed.
	Concurrencies []int
	// Rounds is how many times the ceiling and the cold sync are
	// measured, each on fresh control planes; the ratio's target is
	// judged on their median. The rounds before the last stop after the
	// cold sync; the last goes on with the other phases.
	Rounds int
	// ConvergeTimeout bounds every wait for capstan; zero means 10 min
	// and 100 ms more per app.
	ConvergeTimeout time.Duration
	// Skip names phases not to run (idle, change, drift, restart,
	// poll, memory), to measure one figure quickly; the ceiling, set up
	// and cold sync always run.
	Skip []string
	// JSONFile receives the figures as JSON when set.
	JSONFile string
	// WorkDir holds the cluster, the Git repository, capstan's cache and
	// logs; empty means a new temporary directory, removed after a
	// successful run.
	WorkDir string
	// BinDir holds capstan and the control plane; CRDDir the CRDs (empty:
	// BinDir/../config/crd).
	BinDir string
	CRDDir string
	// Out receives the table, Log the progress.
	Out, Log io.Writer
}

// DefaultOptions is workload W1 at 1000 apps, sized to finish in under 15
// minutes on 2 cores.
func DefaultOptions() Options {
	return Options{
		Apps:               1000,
		ConfigMapBytes:     2048,
		Idle:               5 * time.Minute,
		DriftFraction:      0.01,
		ChangeFraction:     0.10,
		SingleChanges:      5,
		PollInterval:       60 * time.Second,
		PollChangeInterval: 15 * time.Second,
		Workers:            10,
		Concurrencies:      []int{16, 64},
		Rounds:             3,
		BinDir:             "bin",
	}
}

// BindFlags registers the options on fs, with o's values as defaults.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	fs.IntVar(&o.Apps, "apps", o.Apps, "number of W1 Applications (5 objects each)")
	fs.IntVar(&o.ConfigMapBytes, "configmap-bytes", o.ConfigMapBytes, "size of each app's ConfigMap")
	fs.DurationVar(&o.Idle, "idle", o.Idle, "length of the idle window")
	fs.Float64Var(&o.DriftFraction, "drift", o.DriftFraction, "fraction of managed objects edited by another client")
	fs.Float64Var(&o.ChangeFraction, "change", o.ChangeFraction, "fraction of apps touched by the batch commit")
	fs.IntVar(&o.SingleChanges, "single-changes", o.SingleChanges, "one-app commits timed through the webhook")
	fs.DurationVar(&o.PollInterval, "poll-interval", o.PollInterval, "capstan's timeout.reconciliation (argocd-cm)")
	fs.DurationVar(&o.PollChangeInterval, "poll-change-interval", o.PollChangeInterval, "timeout.reconciliation for the change-through-polling phase")
	fs.IntVar(&o.Workers, "workers", o.Workers, "capstan's --workers")
	fs.IntVar(&o.Rounds, "rounds", o.Rounds, "times the ceiling and the cold sync are measured, each on fresh control planes (the ratio is judged on their median)")
	fs.BoolVar(&o.HeapProfiles, "heap-profiles", o.HeapProfiles, "take capstan's heap profiles at its peak and at idle (capstan with --profiling; this raises the memory it reports)")
	fs.BoolVar(&o.APIServerProfiles, "apiserver-profiles", o.APIServerProfiles, "take the API server's CPU profiles through the ceiling and the cold sync (WORK-DIR/profiles/apiserver-*.pb.gz)")
	fs.Func("capstan-arg", "one more flag for capstan run (repeatable), e.g. --capstan-arg=--render-isolation=none", func(s string) error {
		o.CapstanArgs = append(o.CapstanArgs, s)
		return nil
	})
	fs.Func("ceiling-concurrency", fmt.Sprintf("concurrencies the ceiling's apply loop tries, comma-separated, each probed twice (default %s; one alone is not probed)", joinInts(o.Concurrencies)), func(s string) error {
		c, err := parseInts(s)
		o.Concurrencies = c
		return err
	})
	fs.Func("skip", "phases not to run, comma-separated: idle, change, drift, restart, poll, memory", func(s string) error {
		o.Skip = strings.Split(s, ",")
		return nil
	})
	fs.DurationVar(&o.ConvergeTimeout, "converge-timeout", o.ConvergeTimeout, "bound on every wait for capstan (0: 10m and 100ms more per app)")
	fs.StringVar(&o.JSONFile, "json", o.JSONFile, "write the figures as JSON to this file")
	fs.StringVar(&o.WorkDir, "work-dir", o.WorkDir, "directory for the cluster, Git repository and logs (default: a temporary one, removed on success)")
	fs.StringVar(&o.BinDir, "bin-dir", o.BinDir, "directory of capstan and the control-plane binaries (make controlplane build)")
	fs.StringVar(&o.CRDDir, "crd-dir", o.CRDDir, "directory of capstan's CRDs (default: BIN-DIR/../config/crd)")
}

func (o Options) validate() error {
	switch {
	case o.Apps < 1:
		return errors.New("--apps must be at least 1")
	case o.DriftFraction <= 0 || o.DriftFraction > 1, o.ChangeFraction <= 0 || o.ChangeFraction > 1:
		return errors.New("--drift and --change are fractions in (0, 1]")
	case o.PollInterval <= 0 || o.PollChangeInterval <= 0:
		return errors.New("poll intervals must be positive")
	case o.Workers < 1:
		return errors.New("--workers must be at least 1")
	case o.Rounds < 1:
		return errors.New("--rounds must be at least 1")
	case len(o.Concurrencies) == 0 || slices.Min(o.Concurrencies) < 1:
		return errors.New("--ceiling-concurrency needs at least one concurrency, each at least 1")
	case len(slices.Compact(slices.Sorted(slices.Values(o.Concurrencies)))) < len(o.Concurrencies):
		return fmt.Errorf("--ceiling-concurrency %s names a concurrency twice", joinInts(o.Concurrencies))
	}
	for _, p := range o.Skip {
		if !slices.Contains(skippable, p) {
			return fmt.Errorf("--skip: no phase %q (phases: %s)", p, strings.Join(skippable, ", "))
		}
	}
	// The polling phase runs on the restarted capstan, which polls every
	// PollChangeInterval; memory reads the idle and restarted processes.
	skip := func(p string) bool { return slices.Contains(o.Skip, p) }
	switch {
	case skip("restart") && !skip("poll"):
		return errors.New("--skip restart needs --skip poll too: the polling phase runs on the restarted capstan")
	case (skip("restart") || skip("idle")) && !skip("memory"):
		return errors.New("--skip restart or idle needs --skip memory too: memory reads the idle and the restarted capstan")
	}
	return nil
}

// skippable are the phases --skip accepts.
var skippable = []string{"idle", "change", "drift", "restart", "poll", "memory"}

// Run measures capstan and returns the figures; it prints the table to
// Out and writes JSONFile. Everything it starts is stopped before it
// returns, also on error or when ctx is cancelled. On error the figures
// measured so far are still printed and returned.
func Run(ctx context.Context, opts Options) (_ *Result, err error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	rounds, err := earlierRounds(ctx, opts)
	if err != nil {
		return nil, err
	}
	b, err := newBench(opts)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := b.close(err == nil); err == nil {
			err = cerr
		}
	}()
	b.res.Rounds = rounds
	runErr := b.run(ctx)
	if r, ok := roundOf(b.res); ok {
		b.res.Rounds = append(b.res.Rounds, r)
	}
	b.res.Seconds = time.Since(b.res.Started).Seconds()
	if repErr := b.report(); runErr == nil {
		runErr = repErr
	}
	return b.res, runErr
}

// earlierRounds measures the ceiling and the cold sync opts.Rounds-1
// times, each a run of its own on fresh control planes, torn down before
// the next: the rounds before the full run, which is the last. On a
// small machine one round's ratio moves by more than the target's
// margin from one run to the next.
func earlierRounds(ctx context.Context, opts Options) ([]Round, error) {
	var out []Round
	for i := 1; i < opts.Rounds; i++ {
		o := opts
		o.Rounds, o.Skip, o.JSONFile, o.Out = 1, skippable, "", io.Discard
		if opts.WorkDir != "" {
			o.WorkDir = filepath.Join(opts.WorkDir, fmt.Sprintf("round-%d", i))
		}
		if o.Log == nil {
			o.Log = os.Stderr
		}
		fmt.Fprintf(o.Log, "%s bench: == round %d of %d: ceiling and cold sync\n", time.Now().Format("15:04:05"), i, opts.Rounds)
		res, err := Run(ctx, o)
		if err != nil {
			return nil, fmt.Errorf("round %d of %d: %w", i, opts.Rounds, err)
		}
		r, ok := roundOf(res)
		if !ok {
			return nil, fmt.Errorf("round %d of %d measured no cold sync ratio", i, opts.Rounds)
		}
		out = append(out, r)
	}
	return out, nil
}

// run is the whole program, phase by phase. Each phase on capstan's
// control plane is framed by two readings of the API server's latency
// histograms, filed under its label.
func (b *bench) run(ctx context.Context) error {
	for _, phase := range []struct {
		name, key, label string
		run              func(context.Context) error
	}{
		{"ceiling", "", "", b.ceiling},
		{"set up", "", "", b.setUp},
		{"cold sync", "", phaseColdSync, b.coldSync},
		{"idle", "idle", "idle", b.idle},
		{"change through the webhook", "change", "change", b.changeWebhook},
		{"drift", "drift", "drift", b.drift},
		{"restart", "restart", "restart", b.restart},
		{"change through polling", "poll", "poll", b.changePoll},
		{"memory", "memory", "", b.memory},
	} {
		if phase.key != "" && slices.Contains(b.opts.Skip, phase.key) {
			b.logf("== %s: skipped", phase.name)
			continue
		}
		b.logf("== %s", phase.name)
		b.phase.Store(&phase.name)
		if err := b.framed(ctx, phase.label, phase.run); err != nil {
			return fmt.Errorf("%s: %w", phase.name, err)
		}
	}
	return nil
}

// Labels of the API server's latency figures that other code reads.
const (
	phaseCeiling  = "ceiling"
	phaseColdSync = "cold sync"
)

// framed runs a phase and, when it has a label, files the API server's
// latency over it.
func (b *bench) framed(ctx context.Context, label string, run func(context.Context) error) error {
	if label == "" {
		return run(ctx)
	}
	before, err := b.cl.serverHists(ctx)
	if err != nil {
		return err
	}
	if err := run(ctx); err != nil {
		return err
	}
	after, err := b.cl.serverHists(ctx)
	if err != nil {
		return err
	}
	b.res.APIServer = append(b.res.APIServer, after.minus(before).latency(label))
	return nil
}

// newBench prepares the work directory and the result's header.
func newBench(opts Options) (*bench, error) {
	if opts.Out == nil {
		opts.Out = os.Stdout
	}
	if opts.Log == nil {
		opts.Log = os.Stderr
	}
	bin, err := filepath.Abs(opts.BinDir)
	if err != nil {
		return nil, err
	}
	opts.BinDir = bin
	if opts.CRDDir == "" {
		opts.CRDDir = filepath.Join(bin, "..", "config", "crd")
	}
	if opts.ConvergeTimeout == 0 {
		opts.ConvergeTimeout = 10*time.Minute + time.Duration(opts.Apps)*100*time.Millisecond
	}
	b := &bench{opts: opts, keepDir: opts.WorkDir != ""}
	if b.keepDir {
		b.dir, err = filepath.Abs(opts.WorkDir)
		if err == nil {
			err = os.MkdirAll(b.dir, 0o755)
		}
	} else {
		b.dir, err = os.MkdirTemp("", "capstan-bench-")
	}
	if err != nil {
		return nil, fmt.Errorf("create the work directory: %w", err)
	}
	b.res = &Result{
		Scale: Scale{Apps: opts.Apps, ObjectsPerApp: ObjectsPerApp, Objects: opts.Apps * ObjectsPerApp, ConfigMapBytes: opts.ConfigMapBytes},
		Settings: Settings{
			PollInterval: opts.PollInterval.Seconds(), PollChangeInterval: opts.PollChangeInterval.Seconds(),
			Workers: opts.Workers, CapstanArgs: opts.CapstanArgs, DriftFraction: opts.DriftFraction, ChangeFraction: opts.ChangeFraction,
		},
		Machine: machine(),
		Capstan: capstanVersion(bin),
		Started: time.Now(),
	}
	return b, nil
}

// perApp is d for each app: what a wait bounded for a small run needs
// more at a larger one.
func (b *bench) perApp(d time.Duration) time.Duration { return time.Duration(b.opts.Apps) * d }

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.opts.Log, "%s bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// parseInts reads a comma-separated list of integers.
func parseInts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}
