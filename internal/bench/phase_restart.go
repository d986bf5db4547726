package bench

import (
	"context"
	"encoding/json"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// capstanManager is capstan's field manager.
const capstanManager = "capstan"

// restart stops capstan with SIGTERM while everything is in sync and
// starts it again, timing readiness and the first reconcile of every app,
// and counting what it writes. The new process polls every
// PollChangeInterval, for the polling phase that follows; that setting
// touches no Application or managed object.
func (b *bench) restart(ctx context.Context) error {
	if err := b.settle(ctx); err != nil {
		return err
	}
	mem, err := processMemory(b.capstan.pid())
	if err != nil {
		return err
	}
	b.peakHWM, b.peakSelf = mem.HWM, mem.SelfHWM
	if err := b.peakResult(); err != nil {
		return err
	}
	sigBefore := b.signatures()
	serverBefore, err := b.cl.apiServerCounts(ctx)
	if err != nil {
		return err
	}

	r := &Restart{}
	b.res.Restart = r
	stopAt := time.Now()
	if err := b.capstan.stop(30 * time.Second); err != nil {
		return err
	}
	r.StopSeconds = time.Since(stopAt).Seconds()
	if err := b.cl.setPollInterval(ctx, b.opts.PollChangeInterval); err != nil {
		return err
	}
	startAt := time.Now()
	ready, err := b.startCapstan(ctx)
	if err != nil {
		return err
	}
	r.ReadySeconds = ready.Seconds()
	b.restartPeak = b.watchPeak(ctx, "")
	if err := b.waitReconciled(ctx, b.opts.ConvergeTimeout); err != nil {
		return err
	}
	r.ReconciledSeconds = time.Since(startAt).Seconds()
	if err := b.settle(ctx); err != nil {
		return err
	}
	serverAfter, err := b.cl.apiServerCounts(ctx)
	if err != nil {
		return err
	}
	m, err := b.capstan.scrape(ctx)
	if err != nil {
		return err
	}
	// The new process counts from zero.
	r.Requests = requests(serverAfter.sub(serverBefore), clientCounts(m))
	r.Changed = changed(sigBefore, b.signatures())
	b.logf("restart: ready in %.2fs, all reconciled in %.1fs, %.0f requests, %d objects changed",
		r.ReadySeconds, r.ReconciledSeconds, r.Requests.Total, r.Changed)
	return nil
}

// signatures fingerprints, from the watch caches, every Application
// (its resourceVersion: only capstan writes them now) and every managed
// ConfigMap and Deployment (capstan's managedFields entries: controllers
// also write Deployments' status, which must not count).
func (b *bench) signatures() map[string]string {
	out := map[string]string{}
	for _, u := range b.appsW.list() {
		out["app/"+u.GetName()] = u.GetResourceVersion()
	}
	for _, w := range []*watcher{b.configW, b.deployW} {
		for _, u := range w.list() {
			out[u.GetKind()+"/"+u.GetNamespace()+"/"+u.GetName()] = managedBy(u, capstanManager)
		}
	}
	return out
}

// managedBy serialises the managedFields entries of one manager; they
// change exactly when that manager's writes change the object.
func managedBy(u *unstructured.Unstructured, manager string) string {
	var mine []any
	for _, e := range u.GetManagedFields() {
		if e.Manager == manager {
			mine = append(mine, e)
		}
	}
	b, _ := json.Marshal(mine)
	return string(b)
}

// changed counts the entries of after that differ from before.
func changed(before, after map[string]string) int {
	n := 0
	for k, v := range after {
		if before[k] != v {
			n++
		}
	}
	return n
}
