package render

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// pulledCommon writes chart "common" at version into a directory of its
// own, as a caller's fetch leaves a pulled chart, and returns it.
func pulledCommon(t *testing.T, version string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "common")
	writeChartFiles(t, dir, map[string]string{
		"Chart.yaml":  "apiVersion: v2\nname: common\nversion: " + version + "\n",
		"values.yaml": "message: hello\n",
		"templates/configmap.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-{{ .Chart.Name }}
data:
  version: {{ .Chart.Version | quote }}
  message: {{ .Values.message | quote }}
`,
	})
	return dir
}

// fetchedFor lists the dependencies the render of req takes from
// repositories, checks that they are the keys of pulled, and answers each
// with the chart pulled gives its key: what the controller does with the charts it
// fetches before a render.
func fetchedFor(t *testing.T, req Request, pulled map[string]string) map[string]string {
	t.Helper()
	deps, err := Dependencies(t.Context(), req)
	if err != nil {
		t.Fatalf("Dependencies: %v", err)
	}
	out := map[string]string{}
	var keys []string
	for _, d := range deps {
		keys = append(keys, d.Key())
		out[d.Key()] = pulled[d.Key()]
	}
	want := slices.Sorted(maps.Keys(pulled))
	slices.Sort(keys)
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("dependencies (-want +got):\n%s", diff)
	}
	return out
}

// TestHelmDependencyFromItsFetch renders a chart whose dependencies are
// declared in Chart.yaml but not vendored: each is listed for its caller
// to fetch, then taken from the chart the caller pulled, honouring alias
// and condition, without writing into the chart.
func TestHelmDependencyFromItsFetch(t *testing.T) {
	const repo = "https://charts.example/stable"
	root := t.TempDir()
	writeChartFiles(t, root, map[string]string{
		"app/Chart.yaml": `apiVersion: v2
name: app
version: 0.1.0
dependencies:
  - name: common
    version: ^1.0.0
    repository: ` + repo + `
    alias: shared
  - name: common
    version: 1.1.0
    repository: ` + repo + `/
    alias: legacy
    condition: legacy.enabled
  - name: common
    version: 1.2.0
    repository: ` + repo + `
    alias: unused
    condition: unused.enabled
`,
		"app/values.yaml": "legacy:\n  enabled: true\n  message: old\nunused:\n  enabled: false\n",
	})
	v110, v120 := pulledCommon(t, "1.1.0"), pulledCommon(t, "1.2.0")
	req := Request{AppName: "app", Root: root, Source: v1alpha1.ApplicationSource{Path: "app"}}
	req.Dependencies = fetchedFor(t, req, map[string]string{
		repo + " common ^1.0.0": v120,
		repo + " common 1.1.0":  v110,
		repo + " common 1.2.0":  v120,
	})
	dir := filepath.Join(root, "app")
	objs, _, err := renderHelmAt(t, req, dir)
	if err != nil {
		t.Fatalf("renderHelm: %v", err)
	}
	type cm struct{ Name, Version, Message string }
	var got []cm
	for _, o := range objs {
		data := o.Object["data"].(map[string]any)
		got = append(got, cm{o.GetName(), data["version"].(string), data["message"].(string)})
	}
	want := []cm{{"app-legacy", "1.1.0", "old"}, {"app-shared", "1.2.0", "hello"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(dir, "charts")); !os.IsNotExist(err) {
		t.Errorf("render wrote into the chart: charts/ exists (%v)", err)
	}
}

// TestHelmDependencyNotFetched checks that a render reaches no repository
// itself: a dependency its caller did not fetch fails the render, which
// names the chart and its repository without the password written into
// the URL, and returns no object.
func TestHelmDependencyNotFetched(t *testing.T) {
	root := t.TempDir()
	writeChartFiles(t, root, map[string]string{
		"Chart.yaml":       "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: common\n    version: 1.0.0\n    repository: https://reader:s3cret@charts.example/stable\n",
		"templates/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
	})
	for _, deps := range []map[string]string{nil, {}} {
		objs, _, err := renderHelmAt(t, Request{AppName: "app", Root: root, Dependencies: deps}, root)
		if err == nil {
			t.Fatalf("Dependencies %v: the render succeeded without its dependency", deps)
		}
		if objs != nil {
			t.Errorf("Dependencies %v: a failed render returned %d objects", deps, len(objs))
		}
		msg := err.Error()
		if want := "chart common 1.0.0 from https://reader:xxxxx@charts.example/stable was not fetched"; !strings.Contains(msg, want) {
			t.Errorf("Dependencies %v: error %q does not say %q", deps, msg, want)
		}
		if strings.Contains(msg, "s3cret") {
			t.Errorf("error %q reveals the password", msg)
		}
	}
}

// writeChartFiles creates files under dir from a map of slash paths to
// content.
func writeChartFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHelmDependencyLockAndLocal checks that Chart.lock pins the version a
// range would otherwise pick, and that `file://` dependencies load from
// the repository.
func TestHelmDependencyLockAndLocal(t *testing.T) {
	const repo = "https://charts.example/stable"
	root := t.TempDir()
	writeChartFiles(t, root, map[string]string{
		"app/Chart.yaml": `apiVersion: v2
name: app
version: 0.1.0
dependencies:
  - name: common
    version: ^1.0.0
    repository: ` + repo + `
  - name: local
    version: 0.1.0
    repository: file://../local
`,
		"app/Chart.lock": `dependencies:
  - name: common
    version: 1.1.0
    repository: ` + repo + `
  - name: local
    version: 0.1.0
    repository: file://../local
digest: sha256:0000
generated: "2026-01-01T00:00:00Z"
`,
		"local/Chart.yaml":          "apiVersion: v2\nname: local\nversion: 0.1.0\n",
		"local/templates/sa.yaml":   "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ .Release.Name }}-local\n",
		"local/values.yaml":         "{}\n",
		"outside-chart/unused.yaml": "x: 1\n",
	})
	req := Request{AppName: "app", Root: root, Source: v1alpha1.ApplicationSource{Path: "app"}}
	req.Dependencies = fetchedFor(t, req, map[string]string{repo + " common 1.1.0": pulledCommon(t, "1.1.0")})
	objs, inputs, err := renderHelmAt(t, req, filepath.Join(root, "app"))
	if err != nil {
		t.Fatalf("renderHelm: %v", err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.GetKind()+"/"+o.GetName())
		if o.GetKind() == "ConfigMap" {
			got = append(got, "version "+o.Object["data"].(map[string]any)["version"].(string))
		}
	}
	want := []string{"ServiceAccount/app-local", "ConfigMap/app-common", "version 1.1.0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	var rel []string
	for _, in := range inputs {
		rel = append(rel, relInput(t, root, in))
	}
	wantInputs := []string{"app/", "app/Chart.lock", "app/Chart.yaml", "local/", "local/Chart.yaml", "local/templates/", "local/templates/sa.yaml", "local/values.yaml"}
	if diff := cmp.Diff(wantInputs, rel); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
}
