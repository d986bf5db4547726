package render

import (
	"context"
	"strconv"
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

// TestDependenciesRemembersWhatIsNotHelm: a Git source found not to be a
// Helm chart is not looked at again while its path's hash stays; a new
// hash (a commit that changed the path) is.
func TestDependenciesRemembersWhatIsNotHelm(t *testing.T) {
	const plain, chart = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	root := t.TempDir()
	writeChartFiles(t, root, map[string]string{"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"})
	deps := func(hash string) []Dependency {
		t.Helper()
		got, err := Dependencies(context.Background(), Request{Root: root, Source: v1alpha1.ApplicationSource{Path: "app"}, PathHash: hash})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := deps(plain); got != nil {
		t.Fatalf("plain YAML: %v, want none", got)
	}
	// The path becomes a chart with a dependency, as a new commit would
	// make it: under the new commit's hash the chart is read.
	writeChartFiles(t, root, map[string]string{"app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n" +
		"- {name: common, version: 1.0.0, repository: https://charts.example.com/stable}\n"})
	want := []Dependency{{Name: "common", Repository: "https://charts.example.com/stable", Version: "1.0.0"}}
	if diff := cmp.Diff(want, deps(chart)); diff != "" {
		t.Errorf("under a new hash (-want +got):\n%s", diff)
	}
	// Under the first hash, the answer is the one remembered: the files
	// are not looked at.
	if got := deps(plain); got != nil {
		t.Errorf("under the first hash: %v, want none, as remembered", got)
	}
	// Another checkout is another entry: a file of the path may be a
	// link out of it, which the hash does not cover.
	other := t.TempDir()
	writeChartFiles(t, other, map[string]string{"app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n" +
		"- {name: common, version: 1.0.0, repository: https://charts.example.com/stable}\n"})
	got, err := Dependencies(context.Background(), Request{Root: other, Source: v1alpha1.ApplicationSource{Path: "app"}, PathHash: plain})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the first hash in another checkout (-want +got):\n%s", diff)
	}
	// Without a hash nothing is remembered.
	if diff := cmp.Diff(want, deps("")); diff != "" {
		t.Errorf("without a hash (-want +got):\n%s", diff)
	}
	// A source that names another tool is another entry.
	got, err = Dependencies(context.Background(), Request{Root: root, Source: v1alpha1.ApplicationSource{Path: "app", Helm: &v1alpha1.ApplicationSourceHelm{}}, PathHash: plain})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the same hash with helm set (-want +got):\n%s", diff)
	}
}

// BenchmarkDependencies is what a pass pays to learn that a source of
// plain YAML takes no chart from a repository: with the path's Git hash
// (a Git source) and without.
func BenchmarkDependencies(b *testing.B) {
	root := b.TempDir()
	writeChartFiles(b, root, map[string]string{"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"})
	for _, hash := range []string{"", "3333333333333333333333333333333333333333"} {
		b.Run("hash="+strconv.FormatBool(hash != ""), func(b *testing.B) {
			req := Request{Root: root, Source: v1alpha1.ApplicationSource{Path: "app"}, PathHash: hash}
			b.ReportAllocs()
			for b.Loop() {
				if got, err := Dependencies(context.Background(), req); err != nil || got != nil {
					b.Fatal(got, err)
				}
			}
		})
	}
}

// A SHA-1 path hash and a SHA-256 one that starts with its digits are
// two keys: the key keeps which of the two a hash is.
func TestNotHelmKeysTellHashLengths(t *testing.T) {
	const sha1 = "1111111111111111111111111111111111111111"
	sha256 := sha1 + "000000000000000000000000"
	a, okA := notHelmKeyOf(Request{Root: "/r", PathHash: sha1})
	b, okB := notHelmKeyOf(Request{Root: "/r", PathHash: sha256})
	if !okA || !okB {
		t.Fatalf("keys refused: %v %v", okA, okB)
	}
	if a == b {
		t.Error("a SHA-1 hash and a SHA-256 one padded with zeros share a key")
	}
}
