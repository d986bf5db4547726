package bench

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"
)

// ceilingShare is the share of the apps each concurrency probe applies.
const ceilingShare = 10

// ceiling measures R_max: a bare server-side-apply loop (field manager
// bench-ceiling, as the admin, no client-side rate limit) applying the W1
// objects of every app into namespaces of its own, at the best of a few
// concurrencies. It runs last, with capstan stopped, so that neither disturbs
// the other, and its namespaces are left for the cluster's teardown: deleting
// thousands of objects would load the API server for minutes. Each app's
// namespace is created in the loop too, as capstan must, but only the five
// W1 objects count.
func (b *bench) ceiling(ctx context.Context) error {
	if err := b.capstan.stop(30 * time.Second); err != nil {
		return err
	}
	c := &Ceiling{}
	b.res.Ceiling = c
	probeApps := max(1, len(b.apps)/ceilingShare)
	best := Probe{}
	for _, conc := range b.opts.Concurrencies {
		p, err := b.applyLoop(ctx, apps(probeApps, fmt.Sprintf("ceiling-c%d", conc)), conc)
		if err != nil {
			return err
		}
		c.Probes = append(c.Probes, p)
		b.logf("ceiling probe: concurrency %d, %.0f objects/s", conc, p.ObjectsPerSecond)
		if p.ObjectsPerSecond > best.ObjectsPerSecond {
			best = p
		}
	}
	full, err := b.applyLoop(ctx, apps(len(b.apps), "ceiling"), best.Concurrency)
	if err != nil {
		return err
	}
	*c = Ceiling{
		Concurrency: full.Concurrency, Objects: full.Objects, Namespaces: len(b.apps),
		Seconds: full.Seconds, ObjectsPerSecond: full.ObjectsPerSecond, Probes: c.Probes,
	}
	b.logf("ceiling: %d objects in %.1fs at concurrency %d: %.0f objects/s", c.Objects, c.Seconds, c.Concurrency, c.ObjectsPerSecond)
	if cs := b.res.ColdSync; cs != nil {
		cs.ImpliedSeconds = float64(b.res.Scale.Objects) / c.ObjectsPerSecond
		cs.Ratio = cs.Seconds / cs.ImpliedSeconds
	}
	return nil
}

// applyLoop applies each app's namespace and W1 objects, conc apps at a
// time, and returns the rate of W1 objects.
func (b *bench) applyLoop(ctx context.Context, set []App, conc int) (Probe, error) {
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(conc)
	for _, a := range set {
		g.Go(func() error { return b.applyApp(gctx, a) })
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

func (b *bench) applyApp(ctx context.Context, a App) error {
	if err := b.cl.applyAs(ctx, ceilingManager, gvrNamespace, namespaceObject(a.Namespace)); err != nil {
		return err
	}
	for i, obj := range w1Objects(revisionName(0), b.opts.ConfigMapBytes) {
		obj.SetNamespace(a.Namespace)
		if err := b.cl.applyAs(ctx, ceilingManager, w1Resources[i], obj); err != nil {
			return err
		}
	}
	return nil
}
