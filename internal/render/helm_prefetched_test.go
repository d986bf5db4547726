package render

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// TestDependencies lists what a render would take from repositories, as
// its caller must fetch it: not what charts/ vendors, through file://
// dependencies, at the version Chart.lock pins, each once.
func TestDependencies(t *testing.T) {
	const repo = "https://charts.example.com/stable"
	tests := []struct {
		name  string
		files map[string]string
		src   v1alpha1.ApplicationSource
		want  []Dependency
	}{
		{
			name:  "not Helm",
			files: map[string]string{"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"},
			src:   v1alpha1.ApplicationSource{Path: "app"},
		},
		{
			name: "vendored, locked, through file://, once",
			files: map[string]string{
				"app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n" +
					"- {name: common, version: ^1.0.0, repository: " + repo + "}\n" +
					"- {name: common, version: ^1.0.0, repository: " + repo + ", alias: again}\n" +
					"- {name: vendored, version: 1.0.0, repository: " + repo + "}\n" +
					"- {name: local, version: 0.1.0, repository: file://../local}\n",
				"app/Chart.lock": "dependencies:\n" +
					"- {name: common, version: 1.1.0, repository: " + repo + "}\n" +
					"- {name: common, version: 1.1.0, repository: " + repo + "}\n" +
					"- {name: vendored, version: 1.0.0, repository: " + repo + "}\n" +
					"- {name: local, version: 0.1.0, repository: file://../local}\n",
				"app/charts/vendored/Chart.yaml": "apiVersion: v2\nname: vendored\nversion: 1.0.0\n",
				"local/Chart.yaml": "apiVersion: v2\nname: local\nversion: 0.1.0\ndependencies:\n" +
					"- {name: lib, version: 2.x, repository: oci://registry.example.com/charts}\n",
			},
			src: v1alpha1.ApplicationSource{Path: "app"},
			want: []Dependency{
				{Name: "common", Repository: repo, Version: "1.1.0"},
				{Name: "lib", Repository: "oci://registry.example.com/charts", Version: "2.x"},
			},
		},
		{
			name:  "a path that fails the render lists nothing",
			files: map[string]string{"app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n"},
			src:   v1alpha1.ApplicationSource{Path: "../elsewhere"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeChartFiles(t, root, tt.files)
			got, err := Dependencies(context.Background(), Request{Root: root, Source: tt.src})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Dependencies (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPrefetchedDependencyMissing: a render given its dependencies never
// fetches one it was not given; it fails naming it.
func TestPrefetchedDependencyMissing(t *testing.T) {
	root := t.TempDir()
	writeChartFiles(t, root, map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n- {name: common, version: 1.0.0, repository: http://127.0.0.1:1/charts}\n",
	})
	_, err := Render(context.Background(), Request{AppName: "app", Root: root, Dependencies: map[string]string{}})
	if err == nil || !strings.Contains(err.Error(), "dependency common") || !strings.Contains(err.Error(), "was not fetched") {
		t.Fatalf("err = %v; want one naming the dependency that was not fetched", err)
	}
}
