package render

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// leakBody is what the test server answers: a ConfigMap that would land
// in the output if kustomize fetched it.
const leakBody = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaked\ndata:\n  token: LEAKED-BODY\n"

// TestKustomizeFetchesNothing checks that every place a kustomization (or
// the configuration of a built-in generator or transformer) can name a URL
// is refused before kustomize reaches the network: the local server gets
// no request, nothing is rendered, and the error names the file and the
// URL.
func TestKustomizeFetchesNothing(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(leakBody))
	}))
	t.Cleanup(srv.Close)
	url := srv.URL + "/x.yaml"
	const target = "\n    target:\n      kind: ConfigMap\n"
	tests := []struct {
		name  string
		files map[string]string
		file  string // the file the error must name
	}{
		{name: "resource", files: map[string]string{"k/kustomization.yaml": "resources: [" + url + "]\n"}},
		{name: "git resource", files: map[string]string{"k/kustomization.yaml": "resources:\n- git::" + srv.URL + "/repo.git//base?ref=main\n"}},
		{name: "base", files: map[string]string{"k/kustomization.yaml": "bases: [" + url + "]\n"}},
		{name: "component", files: map[string]string{"k/kustomization.yaml": "resources: [a.yaml]\ncomponents: [" + url + "]\n"}},
		{name: "patch path", files: map[string]string{"k/kustomization.yaml": "resources: [a.yaml]\npatches:\n  - path: " + url + target}},
		{name: "strategic merge patch", files: map[string]string{"k/kustomization.yaml": "resources: [a.yaml]\npatchesStrategicMerge: [" + url + "]\n"}},
		{name: "json 6902 patch", files: map[string]string{"k/kustomization.yaml": "resources: [a.yaml]\npatchesJson6902:\n  - path: " + url + "\n    target: {version: v1, kind: ConfigMap, name: settings}\n"}},
		{name: "configmap generator file", files: map[string]string{"k/kustomization.yaml": "configMapGenerator:\n  - name: g\n    files: [" + url + "]\n"}},
		{name: "configmap generator keyed file", files: map[string]string{"k/kustomization.yaml": "configMapGenerator:\n  - name: g\n    files: [token=" + url + "]\n"}},
		{name: "configmap generator env file", files: map[string]string{"k/kustomization.yaml": "configMapGenerator:\n  - name: g\n    envs: [" + url + "]\n"}},
		{name: "secret generator file", files: map[string]string{"k/kustomization.yaml": "secretGenerator:\n  - name: g\n    files: [" + url + "]\n"}},
		{name: "replacement", files: map[string]string{"k/kustomization.yaml": "resources: [a.yaml]\nreplacements:\n  - path: " + url + "\n"}},
		{name: "openapi schema", files: map[string]string{"k/kustomization.yaml": "resources: [a.yaml]\nopenapi:\n  path: " + url + "\n"}},
		{name: "crd", files: map[string]string{"k/kustomization.yaml": "resources: [a.yaml]\ncrds: [" + url + "]\n"}},
		{name: "configuration", files: map[string]string{"k/kustomization.yaml": "resources: [a.yaml]\nconfigurations: [" + url + "]\n"}},
		{name: "helm chart", files: map[string]string{"k/kustomization.yaml": "helmCharts:\n  - name: x\n    repo: " + srv.URL + "\n"}},
		{
			name: "transformer configuration file",
			files: map[string]string{
				"k/kustomization.yaml": "resources: [a.yaml]\ntransformers: [patch.yaml]\n",
				"k/patch.yaml":         "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\npath: " + url + "\ntarget:\n  kind: ConfigMap\n",
			},
			file: "k/patch.yaml",
		},
		{
			name:  "inline generator configuration",
			files: map[string]string{"k/kustomization.yaml": "generators:\n- |\n  apiVersion: builtin\n  kind: ConfigMapGenerator\n  metadata:\n    name: g\n  files:\n  - " + url + "\n"},
		},
		{
			name: "base of an overlay",
			files: map[string]string{
				"k/kustomization.yaml":    "resources: [../base]\n",
				"base/kustomization.yaml": "resources: [a.yaml]\npatches:\n  - path: " + url + target,
				"base/a.yaml":             configMap,
			},
			file: "base/kustomization.yaml",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := hits.Load()
			tt.files["k/a.yaml"] = configMap
			root := writeTree(t, tt.files)
			res, err := Render(t.Context(), Request{Root: root, Source: v1alpha1.ApplicationSource{Path: "k"}})
			if n := hits.Load() - before; n != 0 {
				t.Errorf("the server got %d requests", n)
			}
			if err == nil {
				for _, o := range res.Objects {
					if o.GetName() == "leaked" {
						t.Errorf("the server's body is in the output")
					}
				}
				t.Fatalf("Render returned %d objects and no error", len(res.Objects))
			}
			t.Logf("error: %v", err)
			file := tt.file
			if file == "" {
				file = "k/kustomization.yaml"
			}
			wantURL := srv.URL
			for _, want := range []string{file, wantURL} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\ndoes not contain %q", err, want)
				}
			}
		})
	}
}

// TestKustomizeKeepsURLsInText checks that URLs kustomize never loads,
// such as an annotation's value, do not fail the build.
func TestKustomizeKeepsURLsInText(t *testing.T) {
	root := writeTree(t, map[string]string{
		"k/kustomization.yaml": "resources: [a.yaml]\ncommonAnnotations:\n  path: https://example.com/docs\n" +
			"configMapGenerator:\n  - name: g\n    literals: [site=https://example.com]\n",
		"k/a.yaml": configMap,
	})
	res, err := Render(t.Context(), Request{Root: root, Source: v1alpha1.ApplicationSource{Path: "k"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 2 {
		t.Errorf("rendered %d objects, want 2", len(res.Objects))
	}
}
