package render

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestHelmDependencyNamesArePlain checks that a dependency whose name,
// alias or version could name a path is refused before anything is
// fetched or written: the repository gets no request and nothing appears
// outside the chart cache.
func TestHelmDependencyNamesArePlain(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if strings.HasSuffix(r.URL.Path, "index.yaml") {
			w.Write([]byte("apiVersion: v1\nentries:\n  ../../../x:\n  - name: ../../../x\n    version: 1.0.0\n    urls: [x-1.0.0.tgz]\n"))
			return
		}
		w.Write([]byte("not a chart"))
	}))
	t.Cleanup(srv.Close)
	dep := func(name, version, extra string) string {
		return "dependencies:\n  - name: " + name + "\n    version: " + version + "\n    repository: " + srv.URL + "\n" + extra
	}
	lock := func(name, version string) string {
		return "dependencies:\n- name: " + name + "\n  repository: " + srv.URL + "\n  version: " + version + "\ndigest: sha256:0\ngenerated: \"2024-01-01T00:00:00Z\"\n"
	}
	tests := []struct {
		name  string
		chart string
		lock  string
		want  string
	}{
		{name: "name with ..", chart: dep("../../../x", "1.0.0", ""), want: `Chart.yaml: dependency name "../../../x" is not a plain name`},
		{name: "name with a separator", chart: dep("a/b", "1.0.0", ""), want: `Chart.yaml: dependency name "a/b" is not a plain name`},
		{name: "version with ..", chart: dep("common", "../../../x", ""), want: `Chart.yaml: dependency common: version "../../../x" is not a plain version`},
		{name: "locked version with ..", chart: dep("common", "1.0.0", ""), lock: lock("common", "../../../x"), want: `Chart.lock: dependency common: version "../../../x" is not a plain version`},
		{name: "locked name with ..", chart: dep("common", "1.0.0", ""), lock: lock("../../../x", "1.0.0"), want: `Chart.lock: dependency name "../../../x" is not a plain name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := hits.Load()
			base := t.TempDir()
			root := filepath.Join(base, "repo")
			files := map[string]string{"Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n" + tt.chart, "templates/a.txt": ""}
			if tt.lock != "" {
				files["Chart.lock"] = tt.lock
			}
			writeChartFiles(t, root, files)
			cache := filepath.Join(base, "cache")
			_, err := Render(t.Context(), Request{AppName: "app", Root: root, CacheDir: cache})
			if n := hits.Load() - before; n != 0 {
				t.Errorf("the chart repository got %d requests", n)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Render error = %v, want one containing %q", err, tt.want)
			}
			filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && !strings.HasPrefix(p, root+string(filepath.Separator)) && !strings.HasPrefix(p, filepath.Join(cache, "helm")+string(filepath.Separator)) {
					t.Errorf("render wrote %s, outside the chart cache", p)
				}
				return nil
			})
		})
	}
}

// TestCachedChartPath checks that a chart's cache file is always a file
// directly in the cache directory.
func TestCachedChartPath(t *testing.T) {
	for _, tt := range []struct {
		name, version string
		ok            bool
	}{
		{"common", "1.2.3", true},
		{"common", "1.2.3+build.1", true},
		{"../x", "1.0.0", false},
		{"x", "../../1.0.0", false},
		{"x", "1.0.0/..", false},
		{"", "1.0.0", false},
		{"x", "", false},
	} {
		got, err := cachedChartPath("/cache", tt.name, tt.version)
		if (err == nil) != tt.ok {
			t.Errorf("cachedChartPath(%q, %q) = %q, %v; want ok %v", tt.name, tt.version, got, err, tt.ok)
		}
	}
}
