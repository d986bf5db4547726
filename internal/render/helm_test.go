package render

import (
	"bytes"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// TestHelmGolden renders the Helm golden cases and compares them with their
// want.yaml (the files read, then the objects); CAPSTAN_UPDATE_GOLDEN=1
// rewrites them. The requests are here rather than in an app.yaml because
// they set what app.yaml cannot: the cluster's version and other sources'
// roots.
func TestHelmGolden(t *testing.T) {
	guestbook := testdataPath(t, "testdata/helm-guestbook/repo")
	multi := testdataPath(t, "testdata/multisource-values")
	tests := []struct {
		name string
		req  Request
		dir  string
	}{{
		name: "helm-guestbook",
		dir:  guestbook,
		req: Request{
			AppName:     "guestbook",
			Namespace:   "demo",
			Root:        guestbook,
			KubeVersion: "1.31.0",
			Source: v1alpha1.ApplicationSource{Helm: &v1alpha1.ApplicationSourceHelm{
				ValueFiles: []string{"values-prod.yaml"},
				// valuesObject wins over values.
				Values:       "config:\n  source: values\n",
				ValuesObject: &runtime.RawExtension{Raw: []byte(`{"config":{"source":"valuesObject","greeting":"hi"}}`)},
				Parameters: []v1alpha1.HelmParameter{
					{Name: "image.tag", Value: "0.2"},
					{Name: "config.count", Value: "3"},
					{Name: "config.build", Value: "12345", ForceString: true},
					{Name: "config.list", Value: "a,b"},
				},
				FileParameters: []v1alpha1.HelmFileParameter{{Name: "config.motd", Path: "files/motd.txt"}},
			}},
		},
	}, {
		name: "multisource-values",
		dir:  filepath.Join(multi, "chart-repo/app"),
		req: Request{
			AppName:   "app",
			Namespace: "prod",
			Root:      filepath.Join(multi, "chart-repo"),
			Refs:      map[string]string{"values": filepath.Join(multi, "values-repo")},
			Source: v1alpha1.ApplicationSource{Path: "app", Helm: &v1alpha1.ApplicationSourceHelm{
				ValueFiles: []string{"$values/env/prod.yaml"},
			}},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := treeDigest(t, tt.req.Root)
			objs, inputs, err := renderHelmAt(t, tt.req, tt.dir)
			if err != nil {
				t.Fatalf("renderHelm: %v", err)
			}
			if treeDigest(t, tt.req.Root) != before {
				t.Errorf("renderHelm changed the repository's files")
			}
			caseDir := filepath.Join("testdata", tt.name)
			compareGolden(t, filepath.Join(caseDir, "want.yaml"), formatHelm(t, testdataPath(t, caseDir), objs, inputs))
		})
	}
}

// formatHelm writes the files read, relative to the case, as comments and
// then the objects as YAML documents.
func formatHelm(t *testing.T, caseDir string, objs []*unstructured.Unstructured, inputs []string) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("# inputs:\n")
	for _, in := range inputs {
		b.WriteString("#   " + relInput(t, caseDir, in) + "\n")
	}
	for _, o := range objs {
		out, err := yaml.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(out)
	}
	return b.Bytes()
}

func testdataPath(t *testing.T, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
