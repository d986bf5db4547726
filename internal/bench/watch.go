package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
)

// managedSelector selects the objects capstan applied.
const managedSelector = "capstan.dev/managed=true"

// watcher follows one resource through a watch, as the admin, and tells
// when objects reach expected states. Times are taken when an event
// arrives, so no polling of the API server is involved.
type watcher struct {
	informer cache.SharedIndexInformer

	mu      sync.Mutex
	pending map[string]*expectation // by namespace/name
	onEvent func(obj *unstructured.Unstructured, at time.Time)
}

// expectation is a state an object is expected to reach.
type expectation struct {
	start time.Time
	// first, when set, must be seen before done counts: drift must be
	// seen before its reversal.
	first     func(*unstructured.Unstructured) bool
	seenFirst bool
	done      func(*unstructured.Unstructured) bool
	at        time.Time
	reached   chan struct{}
}

// newWatcher starts a watch of gvr in namespace ("" for all) filtered by a
// label selector, and waits for its first list. It keeps of each object
// only the fields at keep besides those slim keeps. onEvent, when set,
// sees every event first.
func newWatcher(ctx context.Context, dyn dynamic.Interface, gvr schema.GroupVersionResource, namespace, selector string,
	keep [][]string, onEvent func(*unstructured.Unstructured, time.Time)) (*watcher, error) {
	f := dynamicinformer.NewFilteredDynamicSharedInformerFactory(dyn, 0, namespace, func(o *metav1.ListOptions) {
		o.LabelSelector = selector
	})
	w := &watcher{informer: f.ForResource(gvr).Informer(), pending: map[string]*expectation{}, onEvent: onEvent}
	if err := w.informer.SetTransform(slim(keep)); err != nil {
		return nil, err
	}
	handle := func(obj any) {
		if u, ok := obj.(*unstructured.Unstructured); ok {
			w.observe(u, time.Now())
		}
	}
	if _, err := w.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    handle,
		UpdateFunc: func(_, obj any) { handle(obj) },
	}); err != nil {
		return nil, err
	}
	go w.informer.Run(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), w.informer.HasSynced) {
		return nil, fmt.Errorf("watch %s: cache did not sync", gvr.Resource)
	}
	return w, nil
}

func (w *watcher) observe(u *unstructured.Unstructured, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.onEvent != nil {
		w.onEvent(u, at)
	}
	e := w.pending[u.GetNamespace()+"/"+u.GetName()]
	if e == nil || !e.at.IsZero() {
		return
	}
	if e.first != nil && !e.seenFirst {
		e.seenFirst = e.first(u)
		return
	}
	if e.done(u) {
		e.at = at
		close(e.reached)
	}
}

// expect registers that namespace/name should reach done, measured from
// start. Register before acting, so that no event is missed.
func (w *watcher) expect(key string, start time.Time, first, done func(*unstructured.Unstructured) bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending[key] = &expectation{start: start, first: first, done: done, reached: make(chan struct{})}
}

// restart moves the start of an expectation, for when the act it measures
// happens after registration.
func (w *watcher) restart(key string, start time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if e := w.pending[key]; e != nil {
		e.start = start
	}
}

// wait waits until every key reached its state and returns each latency in
// seconds, in key order. On timeout it names the keys still pending.
func (w *watcher) wait(ctx context.Context, keys []string, timeout time.Duration) ([]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out := make([]float64, len(keys))
	for i, k := range keys {
		w.mu.Lock()
		e := w.pending[k]
		w.mu.Unlock()
		if e == nil {
			return nil, fmt.Errorf("no expectation for %s", k)
		}
		select {
		case <-e.reached:
		case <-ctx.Done():
			return nil, fmt.Errorf("%d of %d objects did not reach the expected state within %s, first %s: %w",
				len(keys)-w.reachedCount(keys), len(keys), timeout, k, ctx.Err())
		}
		w.mu.Lock()
		out[i] = e.at.Sub(e.start).Seconds()
		delete(w.pending, k)
		w.mu.Unlock()
	}
	return out, nil
}

func (w *watcher) reachedCount(keys []string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, k := range keys {
		if e := w.pending[k]; e == nil || !e.at.IsZero() {
			n++
		}
	}
	return n
}

// list returns every cached object.
func (w *watcher) list() []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range w.informer.GetStore().List() {
		if u, ok := o.(*unstructured.Unstructured); ok {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b *unstructured.Unstructured) int {
		if c := strings.Compare(a.GetNamespace(), b.GetNamespace()); c != 0 {
			return c
		}
		return strings.Compare(a.GetName(), b.GetName())
	})
	return out
}

// slim keeps of an object what the benchmark reads: its kind, name,
// namespace and resourceVersion, capstan's managedFields entries, and the
// fields at keep; of conditions, only their type and status. Whole objects, decoded, would cost the benchmark about a
// gigabyte at 10,000 apps, and the collection of that heap CPU taken from
// the machine capstan is measured on.
func slim(keep [][]string) cache.TransformFunc {
	return func(obj any) (any, error) {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return obj, nil
		}
		out := &unstructured.Unstructured{Object: map[string]any{}}
		out.SetAPIVersion(u.GetAPIVersion())
		out.SetKind(u.GetKind())
		out.SetNamespace(u.GetNamespace())
		out.SetName(u.GetName())
		out.SetResourceVersion(u.GetResourceVersion())
		// capstan's entries are picked from the decoded list as they are:
		// converting every entry to its Go type and back, as
		// GetManagedFields and SetManagedFields do, took the benchmark 0.3
		// CPU-s of a W1 cold sync, from the machine capstan is measured on.
		entries, _, _ := unstructured.NestedFieldNoCopy(u.Object, "metadata", "managedFields")
		var mine []any
		if list, ok := entries.([]any); ok {
			for _, e := range list {
				if m, ok := e.(map[string]any); ok && m["manager"] == capstanManager {
					mine = append(mine, m)
				}
			}
		}
		if mine != nil {
			out.Object["metadata"].(map[string]any)["managedFields"] = mine
		}
		for _, path := range keep {
			if v, found, err := unstructured.NestedFieldNoCopy(u.Object, path...); found && err == nil {
				if path[len(path)-1] == "conditions" {
					v = typeAndStatus(v)
				}
				if err := unstructured.SetNestedField(out.Object, v, path...); err != nil {
					return nil, err
				}
			}
		}
		return out, nil
	}
}

// typeAndStatus keeps of each condition its type and status.
func typeAndStatus(v any) any {
	conds, ok := v.([]any)
	if !ok {
		return v
	}
	out := make([]any, 0, len(conds))
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok {
			out = append(out, map[string]any{"type": m["type"], "status": m["status"]})
		}
	}
	return out
}
