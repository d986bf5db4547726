package render

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestRenderSources(t *testing.T) {
	apps := writeTree(t, map[string]string{
		"one/a.yaml":                configMap,
		"two/kustomization.yaml":    "resources: [b.yaml]\n",
		"two/b.yaml":                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n",
		"broken/c.yaml":             "kind: [\n",
		"values/unused-values.yaml": "x: 1\n",
	})
	src := func(path string) v1alpha1.ApplicationSource {
		return v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/apps.git", Path: path}
	}
	refOnly := v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/values.git", Ref: "values"}

	t.Run("concatenates in order", func(t *testing.T) {
		res, err := RenderSources(t.Context(), []Request{
			{Root: apps, Source: src("one"), Namespace: "n1"},
			{Root: apps, Source: refOnly},
			{Root: apps, Source: src("two"), Namespace: "n2"},
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range res.Objects {
			got = append(got, o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName())
		}
		if diff := cmp.Diff([]string{"ConfigMap/n1/settings", "Secret/n2/b"}, got); diff != "" {
			t.Errorf("objects (-want +got):\n%s", diff)
		}
		wantTypes := []v1alpha1.ApplicationSourceType{v1alpha1.ApplicationSourceTypeDirectory, "", v1alpha1.ApplicationSourceTypeKustomize}
		if diff := cmp.Diff(wantTypes, res.Types); diff != "" {
			t.Errorf("types (-want +got):\n%s", diff)
		}
		wantInputs := []string{
			filepath.Join(apps, "one/a.yaml"),
			filepath.Join(apps, "two/kustomization.yaml"),
			filepath.Join(apps, "two/b.yaml"),
		}
		if diff := cmp.Diff(wantInputs, res.Inputs); diff != "" {
			t.Errorf("inputs (-want +got):\n%s", diff)
		}
	})

	t.Run("one failure fails all", func(t *testing.T) {
		res, err := RenderSources(t.Context(), []Request{
			{Root: apps, Source: src("one")},
			{Root: apps, Source: src("broken")},
		})
		if err == nil || res != nil {
			t.Fatalf("RenderSources = %v, %v; want no result and an error", res, err)
		}
		want := "source 1 (https://git.example.com/apps.git): broken/c.yaml: line 1: "
		if !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %q, want prefix %q", err, want)
		}
	})
}

func TestRenderRefOnlySource(t *testing.T) {
	res, err := Render(t.Context(), Request{Root: t.TempDir(), Source: v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/values.git", Ref: "values"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 0 || len(res.Inputs) != 0 {
		t.Errorf("a ref-only source rendered %d objects from %d inputs", len(res.Objects), len(res.Inputs))
	}
}

func TestRenderChartSourceIsHelmAtRoot(t *testing.T) {
	// The chart's files are at the root; renderHelm is another file's
	// work, so only the routing is checked here: a chart source never
	// looks for its path.
	root := writeTree(t, map[string]string{"Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n"})
	_, err := Render(t.Context(), Request{Root: root, Source: v1alpha1.ApplicationSource{
		RepoURL: "https://charts.example.com", Chart: "c", Path: "does/not/exist",
	}})
	if err != nil && strings.Contains(err.Error(), "does not exist") {
		t.Errorf("a chart source looked for its path: %v", err)
	}
}

func TestRenderCancelled(t *testing.T) {
	root := writeTree(t, map[string]string{"a/a.yaml": configMap})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	res, err := Render(ctx, Request{Root: root, Source: v1alpha1.ApplicationSource{Path: "a"}})
	if !errors.Is(err, context.Canceled) || res != nil {
		t.Errorf("Render with a cancelled context = %v, %v; want no result and context.Canceled", res, err)
	}
}
