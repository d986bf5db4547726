package render

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// labelledBuild stands in for a tool: its one object names the
// Application, namespace and path hash it was rendered for, so that any
// result, fresh or cached, shows which request it belongs to. Like a
// Kustomize overlay's, the render reads a file outside the source's path,
// which every hit checks again.
func labelledBuild(_ context.Context, req Request) (*Result, error) {
	cm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": req.AppName},
		"data":       map[string]any{"app": req.AppName, "namespace": req.Namespace, "hash": req.PathHash},
	}}
	return &Result{Type: v1alpha1.ApplicationSourceTypeDirectory, Objects: []*unstructured.Unstructured{cm},
		Inputs: []string{filepath.Join(req.Root, "base", "common.yaml")}}, nil
}

// labelledRequest asks for the render of app's path in the checkout root
// at a path hash: the hash stands for the path's content, so only the
// file outside the path is read.
func labelledRequest(root, app, namespace, hash string) Request {
	return Request{AppName: app, Namespace: namespace, Root: root, PathHash: hash,
		Source: v1alpha1.ApplicationSource{RepoURL: "https://git.example/apps.git", Path: "apps/" + app}}
}

// checkLabelled reports a result that is not labelledBuild's render of req,
// with its namespace defaulted to req's.
func checkLabelled(req Request, res *Result) error {
	if len(res.Objects) != 1 {
		return fmt.Errorf("%s at %s: %d objects, want 1", req.AppName, req.PathHash, len(res.Objects))
	}
	o := res.Objects[0]
	data, _, _ := unstructured.NestedStringMap(o.Object, "data")
	want := map[string]string{"app": req.AppName, "namespace": req.Namespace, "hash": req.PathHash}
	if fmt.Sprint(data) != fmt.Sprint(want) || o.GetName() != req.AppName || o.GetNamespace() != req.Namespace {
		return fmt.Errorf("%s in %s at %s was served %s/%s with data %v", req.AppName, req.Namespace, req.PathHash, o.GetNamespace(), o.GetName(), data)
	}
	return nil
}

// serveLabelled looks req up with do, a cache's Render or Refresh, and
// tells whether it was a hit; a result that is not labelledBuild's render
// of req is an error. It then changes the result, which is the caller's:
// nothing another caller is served may change with it.
func serveLabelled(ctx context.Context, do func(context.Context, Request) (*Result, bool, error), req Request) (bool, error) {
	res, hit, err := do(ctx, req)
	if err == nil {
		err = checkLabelled(req, res)
	}
	if err != nil {
		return false, err
	}
	res.Objects[0].SetName("changed-by-caller")
	res.Objects[0].Object["data"] = nil
	return hit, nil
}

// cacheBooksError reports the first way in which the cache's index, its
// recency list and its sources' slots disagree. The caller holds c.mu.
func cacheBooksError(c *Cache) error {
	if c.order.Len() != len(c.entries) {
		return fmt.Errorf("the recency list holds %d renders, the index %d", c.order.Len(), len(c.entries))
	}
	for el := c.order.Front(); el != nil; el = el.Next() {
		if key := el.Value.(*cacheEntry).key; c.entries[key] != el {
			return fmt.Errorf("render %.12s is in the recency list but not indexed there", key)
		}
	}
	for slot, key := range c.slots {
		el, ok := c.entries[key]
		if !ok {
			return fmt.Errorf("source %q names render %.12s as its latest, which the cache no longer holds", slot, key)
		}
		if got := el.Value.(*cacheEntry).slot; got != slot {
			return fmt.Errorf("source %q names render %.12s as its latest, a render of %q", slot, key, got)
		}
	}
	return nil
}

// Several workers look renders up at once, as a controller's do: some
// sources are shared between them, some are each worker's own and go
// away after a while, path hashes change and come back, and now and then
// a hard refresh renders a source afresh. Every result must be the render
// of exactly what was asked for, and the cache's books must balance
// throughout; afterwards the cache is within its bound, and once the
// workers' sources are gone it comes back to the size it documents.
func TestCacheIsSafeUnderConcurrentUse(t *testing.T) {
	const (
		// Between one source's two renders and two sources' four.
		capacity   = 3
		workers    = 8
		iterations = 200
		shared     = 4
		// Every phase, each worker's own source is replaced by a new
		// one, as when an Application is deleted and another created.
		phase = 100
	)
	cache := NewCache(capacity, WithBuild(labelledBuild))
	root := t.TempDir()
	write(t, filepath.Join(root, "base", "common.yaml"), "kind: ConfigMap\n")
	ctx := t.Context()
	var hits, misses atomic.Int64

	// A checker reads the books between the workers' look-ups: whenever
	// the lock is free they must agree. The bound is checked only at the
	// end: a hard refresh drops a source's latest render, and the limit
	// with it by two, before its new render evicts again.
	done := make(chan struct{})
	checked := make(chan error, 1)
	go func() {
		defer close(checked)
		for {
			select {
			case <-done:
				return
			default:
			}
			cache.mu.Lock()
			err := cacheBooksError(cache)
			cache.mu.Unlock()
			if err != nil {
				checked <- err
				return
			}
			runtime.Gosched()
		}
	}()

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range iterations {
				// Even look-ups are of the worker's own source, odd ones
				// of a shared one, which each worker refreshes in turn.
				req := labelledRequest(root, fmt.Sprintf("own-%d-%d", w, i/phase), "team", fmt.Sprint(i/6%5))
				do := cache.Render
				if i%2 == 1 {
					req = labelledRequest(root, fmt.Sprintf("shared-%d", i/2%shared), "shared", fmt.Sprint(i/50%3))
					if i%(2*workers) == 2*w+1 {
						do = cache.Refresh
					}
				}
				hit, err := serveLabelled(ctx, do, req)
				if err != nil {
					t.Errorf("worker %d, look-up %d: %v", w, i, err)
					return
				}
				if hit {
					hits.Add(1)
				} else {
					misses.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(done)
	if err := <-checked; err != nil {
		t.Errorf("while the workers ran: %v", err)
	}
	t.Logf("%d hits, %d misses", hits.Load(), misses.Load())

	sources := shared + workers*(iterations/phase)
	cache.mu.Lock()
	if err := cacheBooksError(cache); err != nil {
		t.Errorf("after the workers: %v", err)
	}
	// The documented bound, worked out here rather than by limit().
	entries, slots, bound := len(cache.entries), len(cache.slots), max(capacity, 2*len(cache.slots))
	cache.mu.Unlock()
	if entries > bound {
		t.Errorf("the cache holds %d renders of %d sources, more than max(%d, 2×%d)", entries, slots, capacity, slots)
	}
	if slots > sources {
		t.Errorf("the cache knows %d sources; the workers asked for %d", slots, sources)
	}
	if n := cache.Len(); n != entries {
		t.Errorf("Len is %d, the index holds %d", n, entries)
	}

	// Then the workers' sources go, and the cache comes back to the size
	// it documents, max(capacity, 2 × sources served): two sources that go
	// on through new commits, as many as the cache may hold renders, age
	// every other out and keep two renders each, more than the capacity;
	// when one of them stops too, the last keeps the capacity's worth.
	commit := 0
	goOn := func(apps ...string) {
		t.Helper()
		for range bound + 2 {
			commit++
			for _, app := range apps {
				req := labelledRequest(root, app, "team", fmt.Sprint("after-", commit))
				hit, err := serveLabelled(ctx, cache.Render, req)
				if err == nil && hit {
					err = errors.New("a new path hash was served from the cache")
				}
				if err != nil {
					t.Fatalf("%s at commit %d: %v", app, commit, err)
				}
			}
		}
	}
	keeps := func(perApp int, apps ...string) {
		t.Helper()
		cache.mu.Lock()
		if err := cacheBooksError(cache); err != nil {
			t.Errorf("with %v left: %v", apps, err)
		}
		entries, slots := len(cache.entries), len(cache.slots)
		cache.mu.Unlock()
		if want := perApp * len(apps); entries != want || slots != len(apps) {
			t.Errorf("with %v left the cache holds %d renders of %d sources, want %d of %d", apps, entries, slots, want, len(apps))
		}
		for _, app := range apps {
			for c := commit; c > commit-perApp; c-- {
				req := labelledRequest(root, app, "team", fmt.Sprint("after-", c))
				hit, err := serveLabelled(ctx, cache.Render, req)
				if err == nil && !hit {
					err = errors.New("rendered again")
				}
				if err != nil {
					t.Errorf("%s at commit %d, one of its %d latest: %v", app, c, perApp, err)
				}
			}
		}
	}
	goOn("left", "right")
	keeps(2, "left", "right")
	goOn("left")
	keeps(capacity, "left")
}
