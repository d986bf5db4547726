package render

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/repo"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// chartRepository serves a Helm repository on 127.0.0.1 behind basic auth
// and counts the archives it sends.
type chartRepository struct {
	url      string
	archives atomic.Int32
}

// startChartRepository packages chart "common" at the given versions,
// indexes them and serves the directory for the test's lifetime.
func startChartRepository(t *testing.T, user, pass string, versions ...string) *chartRepository {
	t.Helper()
	dir := t.TempDir()
	for _, v := range versions {
		src := filepath.Join(t.TempDir(), "common")
		writeChartFiles(t, src, map[string]string{
			"Chart.yaml":  "apiVersion: v2\nname: common\nversion: " + v + "\n",
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
		ch, err := loader.LoadDir(src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := chartutil.Save(ch, dir); err != nil {
			t.Fatal(err)
		}
	}
	r := &chartRepository{}
	files := http.FileServer(http.Dir(dir))
	auth := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		u, p, ok := req.BasicAuth()
		if !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="charts"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if strings.HasSuffix(req.URL.Path, ".tgz") {
			r.archives.Add(1)
		}
		files.ServeHTTP(w, req)
	})
	srv := httptest.NewServer(http.StripPrefix("/charts", auth))
	t.Cleanup(srv.Close)
	r.url = srv.URL + "/charts"
	index, err := repo.IndexDirectory(dir, r.url)
	if err != nil {
		t.Fatal(err)
	}
	if err := index.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestHelmDependencyFromRepository renders a chart whose dependencies are
// declared in Chart.yaml but not vendored: they are fetched from a Helm
// repository with the credentials the request gives, honouring alias and
// condition, without writing into the chart.
func TestHelmDependencyFromRepository(t *testing.T) {
	charts := startChartRepository(t, "reader", "s3cret", "1.1.0", "1.2.0")
	root := t.TempDir()
	writeChartFiles(t, root, map[string]string{
		"app/Chart.yaml": `apiVersion: v2
name: app
version: 0.1.0
dependencies:
  - name: common
    version: ^1.0.0
    repository: ` + charts.url + `
    alias: shared
  - name: common
    version: 1.1.0
    repository: ` + charts.url + `/
    alias: legacy
    condition: legacy.enabled
  - name: common
    version: 1.2.0
    repository: ` + charts.url + `
    alias: unused
    condition: unused.enabled
`,
		"app/values.yaml": "legacy:\n  enabled: true\n  message: old\nunused:\n  enabled: false\n",
	})
	dir := filepath.Join(root, "app")
	var asked []string
	req := Request{
		AppName:  "app",
		Root:     root,
		CacheDir: t.TempDir(),
		ChartCredentials: func(url string) (string, string) {
			asked = append(asked, url)
			return "reader", "s3cret"
		},
	}
	type cm struct{ Name, Version, Message string }
	want := []cm{{"app-legacy", "1.1.0", "old"}, {"app-shared", "1.2.0", "hello"}}
	for range 2 {
		objs, _, err := renderHelmAt(t, req, dir)
		if err != nil {
			t.Fatalf("renderHelm: %v", err)
		}
		var got []cm
		for _, o := range objs {
			data := o.Object["data"].(map[string]any)
			got = append(got, cm{o.GetName(), data["version"].(string), data["message"].(string)})
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("objects (-want +got):\n%s", diff)
		}
	}
	if n := charts.archives.Load(); n != 2 {
		t.Errorf("repository sent %d archives over two renders with a cache, want 2 (1.1.0 and 1.2.0 once)", n)
	}
	if len(asked) == 0 || !strings.HasPrefix(asked[0], charts.url) {
		t.Errorf("credentials asked for %q, want the repository URL %s", asked, charts.url)
	}
	if _, err := os.Stat(filepath.Join(dir, "charts")); !os.IsNotExist(err) {
		t.Errorf("render wrote into the chart: charts/ exists (%v)", err)
	}
}

// TestHelmDependencyWrongPassword checks that a rejected credential names
// the repository and never the password.
func TestHelmDependencyWrongPassword(t *testing.T) {
	charts := startChartRepository(t, "reader", "s3cret", "1.0.0")
	root := t.TempDir()
	writeChartFiles(t, root, map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: common\n    version: 1.0.0\n    repository: " + charts.url + "\n",
	})
	objs, _, err := renderHelmAt(t, Request{
		AppName:          "app",
		Root:             root,
		ChartCredentials: func(string) (string, string) { return "reader", "wrong-horse-battery" },
	}, root)
	if err == nil {
		t.Fatalf("renderHelm succeeded with a wrong password")
	}
	if objs != nil {
		t.Errorf("failed render returned %d objects", len(objs))
	}
	msg := err.Error()
	for _, want := range []string{charts.url, "401", "credentials"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
	if strings.Contains(msg, "wrong-horse-battery") {
		t.Errorf("error %q reveals the password", msg)
	}
}

// writeFiles creates files under dir from a map of slash paths to content.
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
	charts := startChartRepository(t, "reader", "s3cret", "1.1.0", "1.2.0")
	root := t.TempDir()
	writeChartFiles(t, root, map[string]string{
		"app/Chart.yaml": `apiVersion: v2
name: app
version: 0.1.0
dependencies:
  - name: common
    version: ^1.0.0
    repository: ` + charts.url + `
  - name: local
    version: 0.1.0
    repository: file://../local
`,
		"app/Chart.lock": `dependencies:
  - name: common
    version: 1.1.0
    repository: ` + charts.url + `
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
	objs, inputs, err := renderHelmAt(t, Request{
		AppName:          "app",
		Root:             root,
		ChartCredentials: func(string) (string, string) { return "reader", "s3cret" },
	}, filepath.Join(root, "app"))
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

// TestHelmDependencyPassCredentials checks that a repository's credentials
// reach a chart URL on another host only with passCredentials.
func TestHelmDependencyPassCredentials(t *testing.T) {
	archives := t.TempDir()
	src := filepath.Join(t.TempDir(), "common")
	writeChartFiles(t, src, map[string]string{
		"Chart.yaml":          "apiVersion: v2\nname: common\nversion: 1.0.0\n",
		"templates/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
		"templates/NOTES.txt": "notes are not objects\n",
	})
	ch, err := loader.LoadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chartutil.Save(ch, archives); err != nil {
		t.Fatal(err)
	}
	var sawAuth atomic.Bool
	files := http.FileServer(http.Dir(archives))
	archiveHost := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _, ok := r.BasicAuth()
		sawAuth.Store(ok)
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(archiveHost.Close)
	index, err := repo.IndexDirectory(archives, archiveHost.URL)
	if err != nil {
		t.Fatal(err)
	}
	indexDir := t.TempDir()
	if err := index.WriteFile(filepath.Join(indexDir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The index is served from "localhost", the archives from 127.0.0.1:
	// two hosts as far as credentials go.
	indexHost := httptest.NewServer(http.FileServer(http.Dir(indexDir)))
	t.Cleanup(indexHost.Close)
	repoURL := strings.Replace(indexHost.URL, "127.0.0.1", "localhost", 1)

	root := t.TempDir()
	writeChartFiles(t, root, map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: common\n    version: 1.0.0\n    repository: " + repoURL + "\n",
	})
	for _, pass := range []bool{false, true} {
		objs, _, err := renderHelmAt(t, Request{
			AppName:          "app",
			Root:             root,
			ChartCredentials: func(string) (string, string) { return "reader", "s3cret" },
			Source:           v1alpha1.ApplicationSource{Helm: &v1alpha1.ApplicationSourceHelm{PassCredentials: pass}},
		}, root)
		if err != nil {
			t.Fatalf("passCredentials %v: renderHelm: %v", pass, err)
		}
		if len(objs) != 1 {
			t.Errorf("passCredentials %v: %d objects, want the ConfigMap only", pass, len(objs))
		}
		if sawAuth.Load() != pass {
			t.Errorf("passCredentials %v: archive host got credentials = %v", pass, sawAuth.Load())
		}
	}
}
