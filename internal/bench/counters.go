package bench

import (
	"context"
	"fmt"
	"time"
)

// counters are the readings a phase is measured between.
type counters struct {
	server apiCounts
	client map[string]float64
	cpu    float64
}

// snapshot reads capstan's requests as the API server and capstan count
// them, and capstan's CPU time.
func (b *bench) snapshot(ctx context.Context) (counters, error) {
	server, err := b.cl.apiServerCounts(ctx)
	if err != nil {
		return counters{}, err
	}
	m, err := b.capstan.scrape(ctx)
	if err != nil {
		return counters{}, err
	}
	cpu, err := cpuSeconds(b.capstan.pid())
	if err != nil {
		return counters{}, err
	}
	return counters{server: server, client: clientCounts(m), cpu: cpu}, nil
}

// since returns capstan's requests and CPU seconds since before, which
// must have been read from the same capstan process.
func (b *bench) since(ctx context.Context, before counters) (Requests, float64, error) {
	now, err := b.snapshot(ctx)
	if err != nil {
		return Requests{}, 0, err
	}
	return requests(now.server.sub(before.server), subMap(now.client, before.client)), now.cpu - before.cpu, nil
}

// scrapeEvery is how often settle and waitReconciled read capstan's
// /metrics. When a read made capstan's per-app series into the client
// library's messages, it cost tens of milliseconds of CPU at 1000 apps,
// and at 4 reads a second a CPU profile put 30-55 % of capstan's CPU in
// serving them during the change and drift phases. Since cf67e05 they are
// written line by line (1.5 ms for 1000 apps, 17 ms for 10,000, in
// BenchmarkMetricsRead), but a read is still work that a scraper in
// production does every 15 to 60 s, not every second.
const scrapeEvery = time.Second

// settle waits until capstan has nothing queued and has made no request for
// quietFor, so that a phase's tail does not count in the next one. It
// gives up after a bound (2 min, and 10 ms more per app): a capstan that
// never quiets down shows in the idle figures.
func (b *bench) settle(ctx context.Context) error {
	const quietFor = 3 * time.Second
	bound := 2*time.Minute + b.perApp(10*time.Millisecond)
	deadline := time.Now().Add(bound)
	var last float64 = -1
	quietSince := time.Now()
	for time.Now().Before(deadline) {
		m, err := b.capstan.scrape(ctx)
		if err != nil {
			return err
		}
		depth := m.sum("workqueue_depth", map[string]string{"name": "application"})
		total := m.sum("rest_client_requests_total", nil)
		if depth > 0 || total != last {
			quietSince, last = time.Now(), total
		}
		if time.Since(quietSince) >= quietFor {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(scrapeEvery):
		}
	}
	b.logf("capstan did not quiet down within %s; going on", bound)
	return nil
}

// waitReconciled waits until a fresh capstan has reconciled every app at
// least once and has nothing queued, by its own metrics.
func (b *bench) waitReconciled(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		m, err := b.capstan.scrape(ctx)
		if err != nil {
			return err
		}
		done := m.sum("controller_runtime_reconcile_total", map[string]string{"controller": "application"})
		depth := m.sum("workqueue_depth", map[string]string{"name": "application"})
		if done >= float64(len(b.apps)) && depth == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return errTimeout("capstan to reconcile every Application once", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(scrapeEvery / 2): // start to all reconciled: ± 0.5 s
		}
	}
}

func errTimeout(what string, d time.Duration) error {
	return fmt.Errorf("waited %s for %s", d, what)
}
