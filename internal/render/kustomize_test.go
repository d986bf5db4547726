package render

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// TestKustomizeConcurrent renders one overlay from several goroutines at
// once, one of them with a kustomization that brings its own OpenAPI
// schema: kustomize keeps its schema in process-wide state, and no render
// may see another's.
func TestKustomizeConcurrent(t *testing.T) {
	root, err := filepath.Abs("testdata/kustomize-overlay/repo")
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Root: root, Namespace: "staging", Source: v1alpha1.ApplicationSource{Path: "guestbook/overlays/staging"}}
	want, err := Render(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	custom := writeTree(t, map[string]string{
		"k/kustomization.yaml": "openapi:\n  path: schema.json\nresources: [a.yaml]\n",
		"k/schema.json":        `{"definitions": {}}`,
		"k/a.yaml":             configMap,
	})
	const n = 6
	results := make([]*Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if i == n/2 {
				_, errs[i] = Render(t.Context(), Request{Root: custom, Source: v1alpha1.ApplicationSource{Path: "k"}})
				return
			}
			results[i], errs[i] = Render(t.Context(), req)
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("render %d: %v", i, errs[i])
		}
		if results[i] == nil {
			continue
		}
		if diff := cmp.Diff(want.Objects, results[i].Objects); diff != "" {
			t.Errorf("render %d differs (-first +concurrent):\n%s", i, diff)
		}
	}
}

// BenchmarkKustomize shows what a render of a small overlay costs once
// kustomize's OpenAPI schema has been loaded: the schema must be loaded
// once per process, not once per render.
func BenchmarkKustomize(b *testing.B) {
	root, err := filepath.Abs("testdata/kustomize-overlay/repo")
	if err != nil {
		b.Fatal(err)
	}
	req := Request{Root: root, Namespace: "staging", Source: v1alpha1.ApplicationSource{Path: "guestbook/overlays/staging"}}
	for b.Loop() {
		if _, err := Render(b.Context(), req); err != nil {
			b.Fatal(err)
		}
	}
}
