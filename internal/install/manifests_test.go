package install

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"sigs.k8s.io/yaml"
)

// TestPlainManifestsUpToDate fails when config/install.yaml or its
// namespace-scoped variant is not what the chart renders now.
func TestPlainManifestsUpToDate(t *testing.T) {
	ch := loadChart(t)
	for _, v := range Variants {
		want, err := v.Manifest(ch)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(env.Root, "config", v.File))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("config/%s is stale: run make generate (first difference at line %d)", v.File, firstDiff(string(got), want))
		}
	}
}

// TestPlainManifestKinds checks what each variant holds: the
// namespace-scoped one has no CRD and nothing cluster-wide.
func TestPlainManifestKinds(t *testing.T) {
	ch := loadChart(t)
	clusterWide := map[string]bool{"CustomResourceDefinition": true, "ClusterRole": true, "ClusterRoleBinding": true}
	for _, v := range Variants {
		m, err := v.Manifest(ch)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, doc := range strings.Split(m, "\n---\n") {
			var obj struct{ Kind string }
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
				t.Fatalf("%s: %v", v.File, err)
			}
			kinds[obj.Kind]++
		}
		namespaced := v.Values != nil
		for kind := range clusterWide {
			if has := kinds[kind] > 0; has == namespaced {
				t.Errorf("%s: %d objects of kind %s", v.File, kinds[kind], kind)
			}
		}
		if kinds["Deployment"] != 1 || kinds["Role"] != 1 || kinds["ServiceAccount"] != 1 {
			t.Errorf("%s: kinds %v, want one Deployment, Role and ServiceAccount", v.File, kinds)
		}
	}
}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := Load(filepath.Join(env.Root, ChartDir))
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// firstDiff is the 1-based number of the first line where a and b differ.
func firstDiff(a, b string) int {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return i + 1
		}
	}
	return min(len(al), len(bl)) + 1
}

// TestCRDsKeep checks that crds.keep marks the CRDs for Helm to leave
// behind on uninstall, and that crds.keep=false does not.
func TestCRDsKeep(t *testing.T) {
	ch := loadChart(t)
	files, err := filepath.Glob(filepath.Join(env.Root, "config", "crd", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRDs in config/crd: %v", err)
	}
	for _, keep := range []bool{true, false} {
		out, err := Render(ch, Options{ReleaseName: "capstan", Namespace: "argocd", Values: map[string]any{"crds": map[string]any{"keep": keep}}})
		if err != nil {
			t.Fatal(err)
		}
		crds, kept := 0, 0
		for _, doc := range strings.Split(out, "\n---\n") {
			var obj struct {
				Kind     string
				Metadata struct{ Annotations map[string]string }
			}
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
				t.Fatal(err)
			}
			if obj.Kind != "CustomResourceDefinition" {
				continue
			}
			crds++
			if obj.Metadata.Annotations["helm.sh/resource-policy"] == "keep" {
				kept++
			}
		}
		want := 0
		if keep {
			want = crds
		}
		if crds != len(files) || kept != want {
			t.Errorf("crds.keep=%v: %d CRDs, %d kept; want %d CRDs, %d kept", keep, crds, kept, len(files), want)
		}
	}
}

// TestChartCRDsMatchConfig fails when the chart's copy of the CRDs is not
// config/crd, which controller-gen writes: make generate copies them.
func TestChartCRDsMatchConfig(t *testing.T) {
	want, err := filepath.Glob(filepath.Join(env.Root, "config", "crd", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := filepath.Glob(filepath.Join(env.Root, ChartDir, "files", "crds", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(want) == 0 {
		t.Fatalf("the chart has %d CRD files, config/crd %d: run make generate", len(got), len(want))
	}
	for _, f := range want {
		a, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(env.Root, ChartDir, "files", "crds", filepath.Base(f)))
		if err != nil {
			t.Fatal(err)
		}
		if string(a) != string(b) {
			t.Errorf("%s differs from the chart's copy: run make generate", filepath.Base(f))
		}
	}
}
