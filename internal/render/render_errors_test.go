package render

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// writeTree writes files (path → content) under a new directory and
// returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for path, content := range files {
		full := filepath.Join(root, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"

func TestRenderErrors(t *testing.T) {
	outside := writeTree(t, map[string]string{"secret.yaml": configMap, "kustomization.yaml": "resources: [secret.yaml]\n"})
	tests := []struct {
		name   string
		files  map[string]string
		links  map[string]string // link path → target (absolute or relative)
		source v1alpha1.ApplicationSource
		want   []string // substrings of the error
	}{
		{
			name:   "malformed YAML names the file and the line",
			files:  map[string]string{"guestbook/a.yaml": configMap, "guestbook/deploy.yaml": configMap + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n    bad: x\n"},
			source: v1alpha1.ApplicationSource{Path: "guestbook"},
			want:   []string{"guestbook/deploy.yaml: line 10: "},
		},
		{
			name:   "object without kind",
			files:  map[string]string{"guestbook/deploy.yaml": "apiVersion: v1\nmetadata:\n  name: a\n"},
			source: v1alpha1.ApplicationSource{Path: "guestbook"},
			want:   []string{"guestbook/deploy.yaml: document 0 (line 1): object has no kind"},
		},
		{
			name:   "missing path",
			files:  map[string]string{"apps/y/a.yaml": configMap},
			source: v1alpha1.ApplicationSource{Path: "apps/x", TargetRevision: "main"},
			want:   []string{"path apps/x does not exist in repository https://git.example.com/apps.git at main"},
		},
		{
			name:   "path is a file",
			files:  map[string]string{"apps/a.yaml": configMap},
			source: v1alpha1.ApplicationSource{Path: "apps/a.yaml"},
			want:   []string{"path apps/a.yaml in repository https://git.example.com/apps.git at HEAD is not a directory"},
		},
		{
			name:   "path with .. out of the repository",
			files:  map[string]string{"a.yaml": configMap},
			source: v1alpha1.ApplicationSource{Path: "apps/../../elsewhere"},
			want:   []string{"path apps/../../elsewhere leads outside the repository https://git.example.com/apps.git"},
		},
		{
			name:   "path through a symbolic link out of the repository",
			links:  map[string]string{"apps": outside},
			source: v1alpha1.ApplicationSource{Path: "apps"},
			want:   []string{"path apps leads outside the repository"},
		},
		{
			name:   "manifest through a symbolic link out of the repository",
			files:  map[string]string{"apps/a.yaml": configMap},
			links:  map[string]string{"apps/b.yaml": filepath.Join(outside, "secret.yaml")},
			source: v1alpha1.ApplicationSource{Path: "apps"},
			want:   []string{"apps/b.yaml: leads outside the repository"},
		},
		{
			name:   "unknown kustomization field",
			files:  map[string]string{"k/kustomization.yaml": "resources: [a.yaml]\nnamePrefx: x-\n", "k/a.yaml": configMap},
			source: v1alpha1.ApplicationSource{Path: "k"},
			want:   []string{"kustomize build k: ", `unknown field "namePrefx"`},
		},
		{
			name:   "kustomize resource that does not exist",
			files:  map[string]string{"k/kustomization.yaml": "resources: [a.yaml, missing.yaml]\n", "k/a.yaml": configMap},
			source: v1alpha1.ApplicationSource{Path: "k"},
			want:   []string{"kustomize build k: ", "missing.yaml"},
		},
		{
			name:   "kustomize base outside the repository",
			files:  map[string]string{"k/kustomization.yaml": "resources: [../../../../../../../../" + strings.TrimPrefix(outside, "/") + "]\n"},
			source: v1alpha1.ApplicationSource{Path: "k"},
			want:   []string{"kustomize build k: "},
		},
		{
			name:   "kustomize base reached through a symbolic link",
			files:  map[string]string{"k/kustomization.yaml": "resources: [../base]\n"},
			links:  map[string]string{"base": outside},
			source: v1alpha1.ApplicationSource{Path: "k"},
			want:   []string{"kustomize build k: ", "leads outside the repository"},
		},
		{
			name:   "kustomization linked from outside the repository",
			links:  map[string]string{"k/kustomization.yaml": filepath.Join(outside, "kustomization.yaml")},
			source: v1alpha1.ApplicationSource{Path: "k", Kustomize: &v1alpha1.ApplicationSourceKustomize{NamePrefix: "x-"}},
			want:   []string{"kustomize build k: kustomization.yaml: leads outside the repository"},
		},
		{
			name:   "remote kustomize base",
			files:  map[string]string{"k/kustomization.yaml": "resources:\n- https://github.com/example/apps//base?ref=v1\n"},
			source: v1alpha1.ApplicationSource{Path: "k"},
			want:   []string{"kustomize build k: ", `remote reference "https://github.com/example/apps//base?ref=v1" is not supported`},
		},
		{
			name:   "kustomize helm charts are off",
			files:  map[string]string{"k/kustomization.yaml": "helmCharts:\n- name: redis\n  repo: https://charts.example.com\n"},
			source: v1alpha1.ApplicationSource{Path: "k"},
			want:   []string{"kustomize build k: k/kustomization.yaml: helmCharts are not supported"},
		},
		{
			name:  "kustomize common label already set",
			files: map[string]string{"k/kustomization.yaml": "commonLabels: {team: a}\nresources: [a.yaml]\n", "k/a.yaml": configMap},
			source: v1alpha1.ApplicationSource{Path: "k", Kustomize: &v1alpha1.ApplicationSourceKustomize{
				CommonLabels: map[string]string{"team": "b"},
			}},
			want: []string{`kustomize build k: kustomization.yaml: common label "team" is already set in the kustomization (set forceCommonLabels to override it)`},
		},
		{
			name:   "kustomize block without kustomization",
			files:  map[string]string{"k/a.yaml": configMap},
			source: v1alpha1.ApplicationSource{Path: "k", Kustomize: &v1alpha1.ApplicationSourceKustomize{}},
			want:   []string{"kustomize build k: no kustomization.yaml, kustomization.yml, Kustomization found"},
		},
		{
			name:   "jsonnet error",
			files:  map[string]string{"j/main.jsonnet": "{ a: std.extVar('missing') }\n"},
			source: v1alpha1.ApplicationSource{Path: "j"},
			want:   []string{"j/main.jsonnet: jsonnet: ", "missing"},
		},
		{
			name:   "jsonnet import out of the repository",
			files:  map[string]string{"j/main.jsonnet": "import '" + filepath.Join(outside, "secret.yaml") + "'\n"},
			source: v1alpha1.ApplicationSource{Path: "j"},
			want:   []string{"j/main.jsonnet: jsonnet: ", "leads outside the repository"},
		},
		{
			name:   "jsonnet output that is not an object",
			files:  map[string]string{"j/main.jsonnet": "[1, 2]\n"},
			source: v1alpha1.ApplicationSource{Path: "j"},
			want:   []string{"j/main.jsonnet: jsonnet output item 0: not an object"},
		},
		{
			name:   "plugin",
			files:  map[string]string{"p/a.yaml": configMap},
			source: v1alpha1.ApplicationSource{Path: "p", Plugin: &v1alpha1.ApplicationSourcePlugin{Name: "cdk8s"}},
			want:   []string{`config management plugins are not supported (the source asks for plugin "cdk8s")`},
		},
		{
			name:   "malformed include glob",
			files:  map[string]string{"d/a.yaml": configMap},
			source: v1alpha1.ApplicationSource{Path: "d", Directory: &v1alpha1.ApplicationSourceDirectory{Include: "{a,b"}},
			want:   []string{`directory include: glob "{a,b": unterminated {`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeTree(t, tt.files)
			for link, target := range tt.links {
				full := filepath.Join(root, filepath.FromSlash(link))
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(target, full); err != nil {
					t.Fatal(err)
				}
			}
			src := tt.source
			src.RepoURL = "https://git.example.com/apps.git"
			res, err := Render(t.Context(), Request{Root: root, Source: src, Namespace: "dest"})
			if err == nil {
				t.Fatalf("Render returned %d objects and no error", len(res.Objects))
			}
			if res != nil {
				t.Errorf("Render returned a result with its error")
			}
			t.Logf("error: %v", err)
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\ndoes not contain %q", err, want)
				}
			}
		})
	}
}

func TestRenderEscapeIsTyped(t *testing.T) {
	root := writeTree(t, map[string]string{"a.yaml": configMap})
	_, err := Render(t.Context(), Request{Root: root, Source: v1alpha1.ApplicationSource{Path: "../x"}})
	if !errors.Is(err, errEscapes) {
		t.Errorf("error %v does not wrap errEscapes", err)
	}
}
