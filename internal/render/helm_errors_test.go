package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// TestHelmErrors checks that a render that cannot be done fails as a
// whole, with a message that names what the user has to fix.
func TestHelmErrors(t *testing.T) {
	chart := map[string]string{
		"chart/Chart.yaml":            "apiVersion: v2\nname: app\nversion: 0.1.0\n",
		"chart/values.yaml":           "name: app\n",
		"chart/templates/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\n",
		"chart/values-prod.yaml":      "name: prod\n",
		"values/env/prod.yaml":        "name: prod\n",
		"outside-the-repository.yaml": "name: secret\n",
	}
	tests := []struct {
		name string
		// files are added to the chart's repository.
		files map[string]string
		helm  v1alpha1.ApplicationSourceHelm
		// want are substrings of the error; none means success.
		want []string
	}{{
		name:  "template that does not parse",
		files: map[string]string{"chart/templates/broken.yaml": "metadata:\n  name: {{ .Values.name \n"},
		want:  []string{"helm chart app", "app/templates/broken.yaml"},
	}, {
		name:  "template that fails to execute",
		files: map[string]string{"chart/templates/required.yaml": "x: {{ required \"image.tag is required\" .Values.image }}\n"},
		want:  []string{"app/templates/required.yaml", "image.tag is required"},
	}, {
		name:  "template that renders invalid YAML",
		files: map[string]string{"chart/templates/bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: [\n"},
		want:  []string{"app/templates/bad.yaml"},
	}, {
		name: "missing value file",
		helm: v1alpha1.ApplicationSourceHelm{ValueFiles: []string{"values-missing.yaml"}},
		want: []string{"value file values-missing.yaml", "not found"},
	}, {
		name: "missing value file with ignoreMissingValueFiles",
		helm: v1alpha1.ApplicationSourceHelm{ValueFiles: []string{"values-missing.yaml", "values-prod.yaml"}, IgnoreMissingValueFiles: true},
	}, {
		name: "value file that leaves the repository",
		helm: v1alpha1.ApplicationSourceHelm{ValueFiles: []string{"../../etc/passwd"}},
		want: []string{"../../etc/passwd", "leads outside the repository"},
	}, {
		name: "value file that leaves the repository by one level",
		helm: v1alpha1.ApplicationSourceHelm{ValueFiles: []string{"../../outside-the-repository.yaml"}},
		want: []string{"leads outside the repository"},
	}, {
		name: "ref value file that leaves its root",
		helm: v1alpha1.ApplicationSourceHelm{ValueFiles: []string{"$values/../chart/values.yaml"}},
		want: []string{"$values/../chart/values.yaml", "leads outside the repository"},
	}, {
		name: "ref that no source declares",
		helm: v1alpha1.ApplicationSourceHelm{ValueFiles: []string{"$config/prod.yaml"}},
		want: []string{"$config/prod.yaml", `ref "config"`},
	}, {
		name: "ref value file that is missing, ignored",
		helm: v1alpha1.ApplicationSourceHelm{ValueFiles: []string{"$values/env/missing.yaml"}, IgnoreMissingValueFiles: true},
	}, {
		name: "remote value file",
		helm: v1alpha1.ApplicationSourceHelm{ValueFiles: []string{"https://example.com/values.yaml"}},
		want: []string{"https://example.com/values.yaml", "remote value files are not supported"},
	}, {
		name: "file parameter that leaves the repository",
		helm: v1alpha1.ApplicationSourceHelm{FileParameters: []v1alpha1.HelmFileParameter{{Name: "cert", Path: "../../../etc/hostname"}}},
		want: []string{"file parameter cert", "leads outside the repository"},
	}, {
		name: "values that are not YAML",
		helm: v1alpha1.ApplicationSourceHelm{Values: "name: [unclosed\n"},
		want: []string{"helm values"},
	}, {
		name: "parameter that does not parse",
		helm: v1alpha1.ApplicationSourceHelm{Parameters: []v1alpha1.HelmParameter{{Name: "a[x]", Value: "1"}}},
		want: []string{"parameter a[x]"},
	}, {
		name:  "dependency neither vendored nor in a repository",
		files: map[string]string{"chart/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: lib\n    version: 1.0.0\n"},
		want:  []string{"dependency lib", "without a repository"},
	}, {
		name:  "file dependency that leaves the repository",
		files: map[string]string{"chart/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: lib\n    version: 1.0.0\n    repository: file://../../lib\n"},
		want:  []string{"dependency lib", "leads outside the repository"},
	}, {
		name:  "values that break the chart's schema",
		files: map[string]string{"chart/values.schema.json": schemaNameIsShort},
		helm:  v1alpha1.ApplicationSourceHelm{Parameters: []v1alpha1.HelmParameter{{Name: "name", Value: "much-too-long"}}},
		want:  []string{"schema", "name"},
	}, {
		name:  "values that break the chart's schema with skipSchemaValidation",
		files: map[string]string{"chart/values.schema.json": schemaNameIsShort},
		helm:  v1alpha1.ApplicationSourceHelm{Parameters: []v1alpha1.HelmParameter{{Name: "name", Value: "much-too-long"}}, SkipSchemaValidation: true},
	}, {
		name:  "release name Helm refuses",
		files: map[string]string{},
		helm:  v1alpha1.ApplicationSourceHelm{ReleaseName: "Not_Valid"},
		want:  []string{`release name "Not_Valid"`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			root := filepath.Join(base, "repo")
			writeChartFiles(t, base, map[string]string{"outside-the-repository.yaml": "name: secret\n"})
			for name, content := range chart {
				if name != "outside-the-repository.yaml" {
					writeChartFiles(t, root, map[string]string{name: content})
				}
			}
			writeChartFiles(t, root, tt.files)
			helm := tt.helm
			objs, _, err := renderHelmAt(t, Request{
				AppName: "app",
				Root:    root,
				Refs:    map[string]string{"values": filepath.Join(root, "values")},
				Source:  v1alpha1.ApplicationSource{Path: "chart", Helm: &helm},
			}, filepath.Join(root, "chart"))
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("renderHelm: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("renderHelm succeeded, want an error naming %q", tt.want)
			}
			if objs != nil {
				t.Errorf("failed render returned %d objects", len(objs))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// schemaNameIsShort is a values schema that the chart's default values meet.
const schemaNameIsShort = `{"type": "object", "properties": {"name": {"type": "string", "maxLength": 5}}}`

// TestHelmSymlinkEscapes checks that symbolic links cannot make a render
// read files outside the repository.
func TestHelmSymlinkEscapes(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.yaml")
	writeChartFiles(t, filepath.Dir(outside), map[string]string{"secret.yaml": "name: secret\n"})
	tests := []struct {
		name string
		link string
		helm v1alpha1.ApplicationSourceHelm
	}{
		{name: "value file", link: "values-link.yaml", helm: v1alpha1.ApplicationSourceHelm{ValueFiles: []string{"values-link.yaml"}}},
		{name: "chart file", link: "files/secret.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeChartFiles(t, root, map[string]string{
				"Chart.yaml":      "apiVersion: v2\nname: app\nversion: 0.1.0\n",
				"templates/x.txt": "",
			})
			link := filepath.Join(root, filepath.FromSlash(tt.link))
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(outside, link); err != nil {
				t.Fatal(err)
			}
			helm := tt.helm
			_, _, err := renderHelmAt(t, Request{AppName: "app", Root: root, Source: v1alpha1.ApplicationSource{Helm: &helm}}, root)
			if err == nil || !strings.Contains(err.Error(), "leads outside the repository") {
				t.Fatalf("renderHelm error = %v, want a symbolic link refused", err)
			}
		})
	}
}
