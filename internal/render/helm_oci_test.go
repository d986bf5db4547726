package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/registry"

	testregistry "github.com/capstan-cd/capstan/internal/testenv/registry"
)

// pushChart packages chart "common" at version and pushes it to the
// registry under charts/.
func pushChart(t *testing.T, reg *testregistry.Registry, version string) {
	t.Helper()
	src := filepath.Join(t.TempDir(), "common")
	writeChartFiles(t, src, map[string]string{
		"Chart.yaml":               "apiVersion: v2\nname: common\nversion: " + version + "\n",
		"templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Name }}\ndata:\n  version: {{ .Chart.Version | quote }}\n",
	})
	ch, err := loader.LoadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	archive, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	client, err := registry.NewClient(
		registry.ClientOptBasicAuth(reg.Username, reg.Password),
		registry.ClientOptPlainHTTP(),
		registry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Push(data, reg.Host+"/charts/common:"+version); err != nil {
		t.Fatalf("push common %s: %v", version, err)
	}
}

// TestHelmDependencyFromOCI renders a chart whose dependencies live in an
// OCI registry that requires credentials: a version range is resolved
// against the registry's tags, an exact version is pulled as is.
func TestHelmDependencyFromOCI(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Options{})
	for _, v := range []string{"1.1.0", "1.2.0", "2.0.0"} {
		pushChart(t, reg, v)
	}
	repoURL := reg.URL("charts")
	root := t.TempDir()
	writeChartFiles(t, root, map[string]string{"Chart.yaml": `apiVersion: v2
name: app
version: 0.1.0
dependencies:
  - name: common
    version: ~1.1.0
    repository: ` + repoURL + `
    alias: range
  - name: common
    version: 2.0.0
    repository: ` + repoURL + `
    alias: exact
`})
	req := Request{
		AppName: "app",
		Root:    root,
		ChartCredentials: func(url string) (string, string) {
			if url != repoURL {
				t.Errorf("credentials asked for %s, want %s", url, repoURL)
			}
			return reg.Username, reg.Password
		},
	}
	objs, _, err := renderHelmAt(t, req, root)
	if err != nil {
		t.Fatalf("renderHelm: %v", err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.GetName()+" "+o.Object["data"].(map[string]any)["version"].(string))
	}
	if diff := cmp.Diff([]string{"app-exact 2.0.0", "app-range 1.1.0"}, got); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}

	req.ChartCredentials = func(string) (string, string) { return reg.Username, "not-the-password" }
	_, _, err = renderHelmAt(t, req, root)
	if err == nil {
		t.Fatal("renderHelm succeeded with a wrong password")
	}
	if !strings.Contains(err.Error(), repoURL) || strings.Contains(err.Error(), "not-the-password") {
		t.Errorf("error %q should name %s and not the password", err, repoURL)
	}
}
