package bench

import (
	"context"
	"fmt"
	"math"
	"time"

	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// driftManager is the field manager of the other client that edits
// managed objects behind capstan's back.
const driftManager = "bench-drift"

// driftReplicas is what the other client scales a Deployment to.
const driftReplicas = 3

// edit is one drift: an object, the patch that changes it and how to tell
// the changed state from the reverted one.
type edit struct {
	w        *watcher
	key      string
	patch    func(ctx context.Context) error
	drifted  func(*unstructured.Unstructured) bool
	reverted func(*unstructured.Unstructured) bool
}

// drift edits DriftFraction of the managed objects with another client,
// half ConfigMaps (data) and half Deployments (replicas), each in a
// different app, all at once, and times until capstan reverts each.
func (b *bench) drift(ctx context.Context) error {
	n := max(1, int(math.Round(b.opts.DriftFraction*float64(len(b.apps)*ObjectsPerApp))))
	n = min(n, len(b.apps))
	edits := make([]edit, n)
	for i := range n {
		// From the end of the list: the change phase touched the start.
		a := b.apps[len(b.apps)-1-i*len(b.apps)/n]
		if i%2 == 0 {
			edits[i] = b.configMapEdit(a)
		} else {
			edits[i] = b.deploymentEdit(a)
		}
	}
	before, err := b.snapshot(ctx)
	if err != nil {
		return err
	}
	keys := make([]string, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i, e := range edits {
		keys[i] = e.key
		g.Go(func() error {
			e.w.expect(e.key, time.Now(), e.drifted, e.reverted)
			return e.patch(gctx)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	var lat []float64
	for _, w := range []*watcher{b.configW, b.deployW} {
		var ks []string
		for _, e := range edits {
			if e.w == w {
				ks = append(ks, e.key)
			}
		}
		l, err := w.wait(ctx, ks, b.opts.ConvergeTimeout)
		if err != nil {
			return fmt.Errorf("drift not reverted: %w", err)
		}
		lat = append(lat, l...)
	}
	d := &Drift{Objects: n, Latency: summarise(lat)}
	b.res.Drift = d
	b.logf("%d drifted objects reverted: p50 %.3fs p99 %.3fs", n, d.Latency.P50, d.Latency.P99)
	if _, err := b.waitConverged(ctx, b.opts.ConvergeTimeout); err != nil {
		return err
	}
	if err := b.settle(ctx); err != nil {
		return err
	}
	d.Request, _, err = b.since(ctx, before)
	return err
}

// configMapEdit rewrites the payload of an app's ConfigMap.
func (b *bench) configMapEdit(a App) edit {
	payloadIs := func(want func(string) bool) func(*unstructured.Unstructured) bool {
		return func(u *unstructured.Unstructured) bool {
			v, _, _ := unstructured.NestedString(u.Object, "data", payloadKey)
			return want(v)
		}
	}
	const drifted = "edited by another client"
	return edit{
		w:   b.configW,
		key: a.Namespace + "/" + configMapName,
		patch: func(ctx context.Context) error {
			return b.mergePatch(ctx, gvrConfigMap, a.Namespace, configMapName, fmt.Sprintf(`{"data":{%q:%q}}`, payloadKey, drifted))
		},
		drifted:  payloadIs(func(v string) bool { return v == drifted }),
		reverted: payloadIs(func(v string) bool { return v == payload(b.opts.ConfigMapBytes) }),
	}
}

// deploymentEdit scales an app's Deployment.
func (b *bench) deploymentEdit(a App) edit {
	replicasAre := func(n int64) func(*unstructured.Unstructured) bool {
		return func(u *unstructured.Unstructured) bool {
			v, _, _ := unstructured.NestedInt64(u.Object, "spec", "replicas")
			return v == n
		}
	}
	return edit{
		w:   b.deployW,
		key: a.Namespace + "/" + workloadName,
		patch: func(ctx context.Context) error {
			return b.mergePatch(ctx, gvrDeployment, a.Namespace, workloadName, fmt.Sprintf(`{"spec":{"replicas":%d}}`, driftReplicas))
		},
		drifted:  replicasAre(driftReplicas),
		reverted: replicasAre(1),
	}
}

func (b *bench) mergePatch(ctx context.Context, gvr schema.GroupVersionResource, namespace, name, patch string) error {
	_, err := b.cl.dyn.Resource(gvr).Namespace(namespace).Patch(ctx, name, types.MergePatchType, []byte(patch),
		metav1.PatchOptions{FieldManager: driftManager})
	if err != nil {
		return fmt.Errorf("edit %s %s/%s: %w", gvr.Resource, namespace, name, err)
	}
	return nil
}
