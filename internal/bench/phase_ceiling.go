package bench

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/capstan-cd/capstan/internal/apply"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// ceilingShare is the share of the apps each concurrency probe applies.
const ceilingShare = 10

// ceiling measures R_max before capstan runs, on control planes of its
// own, each fresh and of the same build as capstan's: a bare
// server-side-apply loop (field manager bench-ceiling, as the admin, no
// client-side rate limit, answers asked for as metadata alone) applying
// every app's namespace and W1 objects exactly as capstan applies them
// (tracking annotation, managed label, digest), at the best of a few
// concurrencies. Each probe, a tenth of the apps, and the full run get a
// control plane of their own, so that each is measured on an API server
// holding nothing, as capstan's does when its cold sync starts: on a
// shared one, each probe ran on what the ones before it left, and at W2
// the first probed won for that alone. Each is stopped before the next
// starts, and before capstan's. Namespace creation is in the time but not
// in the count of objects, since capstan must create them too.
//
// A probe lasts a few seconds, and one alone moved by a quarter from one
// control plane to the next: a single probe each picked a concurrency
// whose full run was a third slower than another's. So each concurrency
// is probed twice, in mirrored order (probeOrder), and the full run takes
// the best mean (bestConcurrency). With a single concurrency there is
// nothing to choose, and no probe.
func (b *bench) ceiling(ctx context.Context) error {
	c := &Ceiling{}
	b.res.Ceiling = c
	all := apps(b.opts.Apps, "bench")
	probeApps := max(1, len(all)/ceilingShare)
	for i, conc := range probeOrder(b.opts.Concurrencies) {
		err := b.withCeilingCluster(ctx, fmt.Sprintf("ceiling-probe-%d-%d", i+1, conc), func(cl *cluster) error {
			p, err := applyLoop(ctx, cl, apps(probeApps, fmt.Sprintf("c%d", conc)), conc, b.opts.ConfigMapBytes)
			if err != nil {
				return err
			}
			c.Probes = append(c.Probes, p)
			b.logf("ceiling probe: concurrency %d, %.0f objects/s", conc, p.ObjectsPerSecond)
			return nil
		})
		if err != nil {
			return err
		}
	}
	conc := b.opts.Concurrencies[0]
	if len(c.Probes) > 0 {
		conc = bestConcurrency(c.Probes)
	}
	return b.withCeilingCluster(ctx, "ceiling", func(cl *cluster) error {
		return b.fullCeiling(ctx, cl, all, conc)
	})
}

// probeOrder is the order the ceiling probes concs in: each twice, the
// second pass in reverse, so that a machine growing faster or slower
// through the probes favours none of them; none when there is only one.
func probeOrder(concs []int) []int {
	if len(concs) < 2 {
		return nil
	}
	back := slices.Clone(concs)
	slices.Reverse(back)
	return append(slices.Clone(concs), back...)
}

// bestConcurrency is the concurrency of probes with the highest mean
// rate; of two as fast, the higher, which keeps the API server the
// busier (the concurrencies are walked upwards, and a tie replaces).
func bestConcurrency(probes []Probe) int {
	best, bestMean := 0, 0.0
	byConc := probeRates(probes)
	for _, conc := range slices.Sorted(maps.Keys(byConc)) {
		mean := 0.0
		for _, r := range byConc[conc] {
			mean += r / float64(len(byConc[conc]))
		}
		if mean >= bestMean {
			best, bestMean = conc, mean
		}
	}
	return best
}

// probeRates are the probes' rates of objects by concurrency, in the
// order they were probed.
func probeRates(probes []Probe) map[int][]float64 {
	rates := map[int][]float64{}
	for _, p := range probes {
		rates[p.Concurrency] = append(rates[p.Concurrency], p.ObjectsPerSecond)
	}
	return rates
}

// fullCeiling applies every app at concurrency conc on a fresh control
// plane: R_max. Then it waits (bounded) until all the Deployments are
// Available, the floor of a cold sync that must end Healthy, timed from
// the same start by a watch opened before it.
func (b *bench) fullCeiling(ctx context.Context, cl *cluster, all []App, conc int) error {
	ctx, cancel := context.WithCancel(ctx) // stops the watch
	defer cancel()
	deployArr := newArrivals(available)
	if _, err := newWatcher(ctx, cl.dyn, gvrDeployment, "", managedSelector, deploymentFields, deployArr.observe); err != nil {
		return err
	}
	before, err := cl.serverHists(ctx)
	if err != nil {
		return err
	}
	cpuBefore, err := readCPU(cl.Dir, 0)
	if err != nil {
		return err
	}
	prof := b.profileAPIServer(ctx, cl, "ceiling")
	defer prof.end()
	start := time.Now()
	full, err := applyLoop(ctx, cl, all, conc, b.opts.ConfigMapBytes)
	if err != nil {
		return err
	}
	after, err := cl.serverHists(ctx)
	if err != nil {
		return err
	}
	b.res.APIServer = append(b.res.APIServer, after.minus(before).latency(phaseCeiling))
	c := b.res.Ceiling
	*c = Ceiling{
		Concurrency: full.Concurrency, Objects: full.Objects, Namespaces: len(all),
		Seconds: full.Seconds, ObjectsPerSecond: full.ObjectsPerSecond, Probes: c.Probes,
	}
	b.logf("ceiling: %d objects in %.1fs at concurrency %d: %.0f objects/s", c.Objects, c.Seconds, c.Concurrency, c.ObjectsPerSecond)
	keys := keysOf(all, workloadName)
	bound := time.Minute + b.perApp(50*time.Millisecond)
	if c.Available, err = deployArr.waitReached(ctx, keys, bound); err != nil {
		return err
	}
	cpuAfter, err := readCPU(cl.Dir, 0)
	if err != nil {
		return err
	}
	c.CPU = cpuAfter.since(cpuBefore)
	// A profile that failed costs its own figures, not the ceiling's.
	if c.Profiles, err = prof.end(); err != nil {
		b.logf("ceiling: %v", err)
	}
	if times, n := deployArr.reachedTimes(keys); n > 0 {
		c.AvailableSeconds = last(times).Sub(start).Seconds()
	}
	if c.Available < len(keys) {
		b.logf("ceiling: %d of %d Deployments Available after waiting %s", c.Available, len(keys), bound)
		return nil
	}
	b.logf("ceiling: all %d Deployments Available %.1fs after the start", len(keys), c.AvailableSeconds)
	return nil
}

// withCeilingCluster starts a fresh control plane in the work directory's
// subdirectory name, runs f on it and stops it.
func (b *bench) withCeilingCluster(ctx context.Context, name string, f func(*cluster) error) (err error) {
	began := time.Now()
	cl, err := startCluster(ctx, b.opts.BinDir, filepath.Join(b.dir, name), b.opts.APIServerProfiles)
	if err != nil {
		return err
	}
	b.logf("%s: control plane up in %.1fs", name, time.Since(began).Seconds())
	defer func() {
		if derr := cl.Down(); err == nil && derr != nil {
			err = fmt.Errorf("stop the %s control plane: %w", name, derr)
		}
	}()
	return f(cl)
}

// applyLoop applies each app's namespace and W1 objects, conc apps at a
// time, and returns the rate of W1 objects.
func applyLoop(ctx context.Context, cl *cluster, set []App, conc, configMapBytes int) (Probe, error) {
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(conc)
	for _, a := range set {
		g.Go(func() error { return applyApp(gctx, cl, a, configMapBytes) })
	}
	if err := g.Wait(); err != nil {
		return Probe{}, err
	}
	secs := time.Since(start).Seconds()
	objects := len(set) * ObjectsPerApp
	return Probe{Concurrency: conc, Objects: objects, Seconds: secs, ObjectsPerSecond: float64(objects) / secs}, nil
}

// ceilingManager is the field manager of the ceiling's apply loop.
const ceilingManager = "bench-ceiling"

// applyApp applies one app's namespace and its objects, as capstan does
// at the first sync of the app.
func applyApp(ctx context.Context, cl *cluster, a App, configMapBytes int) error {
	if err := cl.applyLean(ctx, ceilingManager, gvrNamespace, namespaceObject(a.Namespace)); err != nil {
		return err
	}
	for i, obj := range w1Objects(revisionName(0), configMapBytes) {
		obj.SetNamespace(a.Namespace)
		tracking.Mark(obj, a.Name, tracking.Policy{Method: tracking.MethodAnnotation})
		if err := cl.applyLean(ctx, ceilingManager, w1Resources[i], apply.Stamp(obj)); err != nil {
			return err
		}
	}
	return nil
}
