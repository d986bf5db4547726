package bench

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// appStates records, from watch events, since when each Application has
// been Synced and Healthy, and how often each was written.
type appStates struct {
	mu    sync.Mutex
	ready map[string]time.Time // absent: not Synced and Healthy
	// firstReady is when each first became Synced and Healthy.
	firstReady map[string]time.Time
	last       map[string]string // name: "sync/health", for reports
	seen       map[string]appSeen
}

// appSeen is the last version of an Application seen and the count of
// its stored writes (resourceVersion moves) since the watch began: how
// many of them moved status.sync.revision, and how many did not.
type appSeen struct {
	resourceVersion, revision string
	revisionMoves, otherMoves int
}

func newAppStates() *appStates {
	return &appStates{ready: map[string]time.Time{}, firstReady: map[string]time.Time{}, last: map[string]string{}, seen: map[string]appSeen{}}
}

func (s *appStates) observe(u *unstructured.Unstructured, at time.Time) {
	syncStatus, _, _ := unstructured.NestedString(u.Object, "status", "sync", "status")
	health, _, _ := unstructured.NestedString(u.Object, "status", "health", "status")
	revision, _, _ := unstructured.NestedString(u.Object, "status", "sync", "revision")
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.seen[u.GetName()]; !ok {
		s.seen[u.GetName()] = appSeen{resourceVersion: u.GetResourceVersion(), revision: revision}
	} else if prev.resourceVersion != u.GetResourceVersion() {
		if revision != prev.revision {
			prev.revisionMoves++
		} else {
			prev.otherMoves++
		}
		prev.resourceVersion, prev.revision = u.GetResourceVersion(), revision
		s.seen[u.GetName()] = prev
	}
	s.last[u.GetName()] = syncStatus + "/" + health
	if syncStatus != "Synced" || health != "Healthy" {
		delete(s.ready, u.GetName())
		return
	}
	if _, ok := s.ready[u.GetName()]; !ok {
		s.ready[u.GetName()] = at
	}
	if _, ok := s.firstReady[u.GetName()]; !ok {
		s.firstReady[u.GetName()] = at
	}
}

// firstReadyTimes returns when each of apps first became Synced and
// Healthy, for those that did.
func (s *appStates) firstReadyTimes(apps []App) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Time
	for _, a := range apps {
		if t, ok := s.firstReady[a.Name]; ok {
			out = append(out, t)
		}
	}
	return out
}

// writes returns, by Application, its stored writes so far; the
// difference of two readings is what was written between them.
func (s *appStates) writes() map[string]appSeen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.seen)
}

// converged reports how many of apps are Synced and Healthy and, when all
// are, the moment the last of them became so.
func (s *appStates) converged(apps []App) (int, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, latest := 0, time.Time{}
	for _, a := range apps {
		if t, ok := s.ready[a.Name]; ok {
			n++
			if t.After(latest) {
				latest = t
			}
		}
	}
	return n, latest
}

// notReady describes up to three apps that are not Synced and Healthy.
func (s *appStates) notReady(apps []App) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, a := range apps {
		if _, ok := s.ready[a.Name]; !ok && len(out) < 3 {
			out = append(out, fmt.Sprintf("%s is %q", a.Name, s.last[a.Name]))
		}
	}
	return fmt.Sprint(out)
}

// waitConverged waits until every app is Synced and Healthy and returns
// when the last one became so.
func (b *bench) waitConverged(ctx context.Context, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	lastLog := time.Now()
	for {
		n, at := b.appSt.converged(b.apps)
		if n == len(b.apps) {
			return at, nil
		}
		if err := b.capstan.alive(); err != nil {
			return time.Time{}, err
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%d of %d Applications Synced and Healthy after %s; %s",
				n, len(b.apps), timeout, b.appSt.notReady(b.apps))
		}
		if time.Since(lastLog) > 10*time.Second {
			b.logf("%d of %d Applications Synced and Healthy", n, len(b.apps))
			lastLog = time.Now()
		}
		// The states come from the watch; this only reads memory.
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// coldSync creates every Application and times capstan from there to all
// Synced and Healthy.
func (b *bench) coldSync(ctx context.Context) error {
	before, err := b.snapshot(ctx)
	if err != nil {
		return err
	}
	// Follow the first process's RSS (and keep a heap profile at its
	// highest), from here to its stop in restart (peakResult).
	b.peak = b.watchPeak(ctx, "peak")
	cpuBefore, err := readCPU(b.cl.Dir, b.capstan.pid())
	if err != nil {
		return err
	}
	trace := traceCPU(b.cl.Dir, b.capstan.pid())
	defer trace.end()
	prof := b.profileAPIServer(ctx, b.cl, "coldsync")
	defer prof.end()
	start := time.Now()
	if err := b.createApplications(ctx); err != nil {
		return err
	}
	created := time.Since(start)
	b.logf("%d Applications created in %.1fs", len(b.apps), created.Seconds())
	at, err := b.waitConverged(ctx, b.opts.ConvergeTimeout)
	if err != nil {
		return err
	}
	samples, err := trace.end()
	if err != nil {
		return err
	}
	cpuAfter, err := readCPU(b.cl.Dir, b.capstan.pid())
	if err != nil {
		return err
	}
	// A profile that failed costs its own figures, not the cold sync's.
	profiles, err := prof.end()
	if err != nil {
		b.logf("cold sync: %v", err)
	}
	cs := &ColdSync{Seconds: at.Sub(start).Seconds(), CreateSeconds: created.Seconds(), Converged: len(b.apps), MinRequestsPerApp: minRequestsPerApp,
		CPU: cpuAfter.since(cpuBefore), Profiles: profiles}
	cs.against(b.res.Ceiling, b.res.Scale.Objects)
	b.breakDown(cs, start, at, samples)
	b.res.ColdSync = cs
	b.logf("all %d Applications Synced and Healthy after %.1fs", len(b.apps), cs.Seconds)
	if err := b.settle(ctx); err != nil {
		return err
	}
	reqs, cpu, err := b.since(ctx, before)
	if err != nil {
		return err
	}
	cs.Requests, cs.CPUSeconds = reqs, cpu
	cs.RequestsPerApp = reqs.Total / float64(len(b.apps))
	return b.watchConfigMaps(ctx)
}

// breakDown adds to cs, from the watches, when capstan's Deployments were
// created (the first and last of its applies the watch can see; they come
// last in each app's sync), when the last of them became Available, and
// how far the sync had got at each tenth of it; from the CPU trace, how
// busy the machine was in each tenth.
func (b *bench) breakDown(cs *ColdSync, start, end time.Time, cpu []cpuSample) {
	since := func(t time.Time) float64 {
		if t.IsZero() {
			return 0
		}
		return t.Sub(start).Seconds()
	}
	deployKeys := keysOf(b.apps, workloadName)
	deployCreated, _ := b.deployArr.createdTimes(deployKeys)
	deployAvailable, _ := b.deployArr.reachedTimes(deployKeys)
	cs.FirstCreatedSeconds, cs.LastCreatedSeconds = since(first(deployCreated)), since(last(deployCreated))
	cs.LastAvailableSeconds = since(last(deployAvailable))
	cs.Timeline = timeline(start, end.Sub(start), b.appSt.firstReadyTimes(b.apps), deployCreated, deployAvailable)
	addCores(cs.Timeline, start, cpu)
	if c := b.res.Ceiling; c != nil && c.AvailableSeconds > 0 && c.Available == c.Namespaces {
		cs.AvailableRatio = cs.Seconds / c.AvailableSeconds
	}
}

// timeline counts, at each tenth of a cold sync of length d begun at
// start, the Applications Synced and Healthy and the Deployments created
// and Available by then, from when each first was.
func timeline(start time.Time, d time.Duration, synced, created, available []time.Time) []TimelinePoint {
	by := func(ts []time.Time, t time.Time) int {
		n := 0
		for _, x := range ts {
			if !x.After(t) {
				n++
			}
		}
		return n
	}
	out := make([]TimelinePoint, 10)
	for i := range out {
		pct := 10 * (i + 1)
		t := start.Add(d * time.Duration(pct) / 100)
		out[i] = TimelinePoint{Percent: pct, Seconds: t.Sub(start).Seconds(),
			Synced: by(synced, t), Created: by(created, t), Available: by(available, t)}
	}
	return out
}

// createApplications creates the Applications as the admin, in parallel.
func (b *bench) createApplications(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, a := range b.apps {
		g.Go(func() error {
			obj := application(a, controlNamespace, b.repo.URL)
			if _, err := b.cl.dyn.Resource(gvrApplication).Namespace(controlNamespace).Create(gctx, obj, metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("create Application %s: %w", a.Name, err)
			}
			return nil
		})
	}
	return g.Wait()
}
