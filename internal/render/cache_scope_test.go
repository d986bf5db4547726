package render

import (
	"context"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// A custom resource rendered before its CRD reached the cluster has no
// namespace to default; once discovery knows the kind, the cached render
// gets the namespace without rendering again.
func TestCacheDefaultsNamespacesAgainstTheScopeOfEachCall(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "app", "widget.yaml"), "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n")
	c := NewCache(8)
	req := Request{AppName: "app", Root: root, Namespace: "team", Source: v1alpha1.ApplicationSource{RepoURL: "https://git.example/r.git", Path: "app"}}

	res, hit, err := c.Render(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if hit || res.Objects[0].GetNamespace() != "" {
		t.Fatalf("first render: hit %v, namespace %q; want a miss and no namespace for an unknown kind", hit, res.Objects[0].GetNamespace())
	}

	req.Scope = func(gvk schema.GroupVersionKind) (bool, bool) { return gvk.Kind == "Widget", gvk.Kind == "Widget" }
	res, hit, err = c.Render(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !hit || res.Objects[0].GetNamespace() != "team" {
		t.Fatalf("after the CRD: hit %v, namespace %q; want a hit defaulted to team", hit, res.Objects[0].GetNamespace())
	}
}
