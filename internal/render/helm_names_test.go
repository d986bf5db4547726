package render

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelmDependencyNamesArePlain checks that a dependency whose name,
// alias or version could name a path is refused: it is not listed for the
// caller to fetch, the render fails naming it, and nothing is written.
func TestHelmDependencyNamesArePlain(t *testing.T) {
	const repo = "https://charts.example/stable"
	dep := func(name, version, extra string) string {
		return "dependencies:\n  - name: " + name + "\n    version: " + version + "\n    repository: " + repo + "\n" + extra
	}
	lock := func(name, version string) string {
		return "dependencies:\n- name: " + name + "\n  repository: " + repo + "\n  version: " + version + "\ndigest: sha256:0\ngenerated: \"2024-01-01T00:00:00Z\"\n"
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
			base := t.TempDir()
			root := filepath.Join(base, "repo")
			files := map[string]string{"Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n" + tt.chart, "templates/a.txt": ""}
			if tt.lock != "" {
				files["Chart.lock"] = tt.lock
			}
			writeChartFiles(t, root, files)
			req := Request{AppName: "app", Root: root}
			if deps, err := Dependencies(t.Context(), req); err != nil || len(deps) != 0 {
				t.Errorf("Dependencies = %v, %v; want none listed", deps, err)
			}
			_, err := Render(t.Context(), req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Render error = %v, want one containing %q", err, tt.want)
			}
			filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && !strings.HasPrefix(p, root+string(filepath.Separator)) {
					t.Errorf("render wrote %s, outside the repository", p)
				}
				return nil
			})
		})
	}
}
