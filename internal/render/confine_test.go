package render

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// hostSecret is what a file of the rendering machine holds: no render may
// put it in an object.
const hostSecret = "HOST-SECRET"

// hostileTree writes a repository at base/repo and, beside it, a
// directory base/host standing for the machine's own files (a token and a
// manifest holding hostSecret). links are symbolic links (path → target)
// in the repository. It returns the repository's root.
func hostileTree(t *testing.T, files, links map[string]string) string {
	t.Helper()
	base := t.TempDir()
	write(t, filepath.Join(base, "host", "token"), hostSecret)
	write(t, filepath.Join(base, "host", "cm.yaml"), configMap+"data:\n  token: "+hostSecret+"\n")
	root := filepath.Join(base, "repo")
	for name, content := range files {
		write(t, filepath.Join(root, filepath.FromSlash(name)), content)
	}
	for name, target := range links {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// chainOut is a pair of links that leads to base/host though each target
// alone stays in the repository: up is the root, and up/../host is above
// it.
var chainOut = map[string]string{"sub/up": ".."}

const tokenChart = "apiVersion: v2\nname: app\nversion: 0.1.0\n"
const tokenTemplate = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: token\ndata:\n  token: {{ .Files.Get \"link/token\" | quote }}\n"

// TestRenderReadsNothingOutsideTheTree checks each renderer against links
// that lead out of the repository, directly or through other links: the
// render fails naming the escape, and no object holds the host's secret.
func TestRenderReadsNothingOutsideTheTree(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		links  map[string]string
		source v1alpha1.ApplicationSource
		refs   bool // the source has a ref "values" rooted at the repository's sub/
	}{
		{
			name:   "helm .Files through a linked directory that holds a link out",
			files:  map[string]string{"chart/Chart.yaml": tokenChart, "chart/templates/cm.yaml": tokenTemplate, "other/readme": "x"},
			links:  map[string]string{"chart/link": "../other", "other/token": "../sub/up/../host/token"},
			source: v1alpha1.ApplicationSource{Path: "chart"},
		},
		{
			name:   "helm .Files through a linked directory that leads out",
			files:  map[string]string{"chart/Chart.yaml": tokenChart, "chart/templates/cm.yaml": tokenTemplate},
			links:  map[string]string{"chart/link": "../sub/up/../host"},
			source: v1alpha1.ApplicationSource{Path: "chart"},
		},
		{
			name: "helm file:// dependency holding a linked directory with a link out",
			files: map[string]string{
				"chart/Chart.yaml":      tokenChart + "dependencies:\n  - name: lib\n    version: 0.1.0\n    repository: file://../lib\n",
				"chart/templates/a.txt": "",
				"lib/Chart.yaml":        "apiVersion: v2\nname: lib\nversion: 0.1.0\n",
				"lib/templates/cm.yaml": tokenTemplate,
				"other/readme":          "x",
			},
			links:  map[string]string{"lib/link": "../other", "other/token": "../sub/up/../host/token"},
			source: v1alpha1.ApplicationSource{Path: "chart"},
		},
		{
			name:   "helm value file of another source through a chain of links",
			files:  map[string]string{"chart/Chart.yaml": tokenChart, "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: v\ndata:\n  v: {{ .Values.token | quote }}\n"},
			links:  map[string]string{"sub/values.yaml": "up/../host/cm.yaml"},
			source: v1alpha1.ApplicationSource{Path: "chart", Helm: &v1alpha1.ApplicationSourceHelm{ValueFiles: []string{"$values/values.yaml"}}},
			refs:   true,
		},
		{
			name:   "manifest through a chain of links",
			files:  map[string]string{"apps/a.yaml": configMap},
			links:  map[string]string{"apps/leak.yaml": "../sub/up/../host/cm.yaml"},
			source: v1alpha1.ApplicationSource{Path: "apps"},
		},
		{
			name:   "kustomize resource through a linked directory",
			files:  map[string]string{"k/kustomization.yaml": "resources: [link/cm.yaml]\n"},
			links:  map[string]string{"k/link": "../sub/up/../host"},
			source: v1alpha1.ApplicationSource{Path: "k"},
		},
		{
			name:   "kustomize generator file through a chain of links",
			files:  map[string]string{"k/kustomization.yaml": "configMapGenerator:\n  - name: g\n    files: [token]\n"},
			links:  map[string]string{"k/token": "../sub/up/../host/token"},
			source: v1alpha1.ApplicationSource{Path: "k"},
		},
		{
			name:   "jsonnet import through a chain of links",
			files:  map[string]string{"j/main.jsonnet": "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'j'}, data: {t: importstr 'link/token'}}\n"},
			links:  map[string]string{"j/link": "../sub/up/../host"},
			source: v1alpha1.ApplicationSource{Path: "j"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			links := map[string]string{}
			for k, v := range chainOut {
				links[k] = v
			}
			for k, v := range tt.links {
				links[k] = v
			}
			root := hostileTree(t, tt.files, links)
			req := Request{AppName: "app", Root: root, Source: tt.source, Namespace: "dest"}
			if tt.refs {
				req.Refs = map[string]string{"values": filepath.Join(root, "sub")}
			}
			res, err := Render(t.Context(), req)
			if err == nil {
				for _, o := range res.Objects {
					if data, _ := json.Marshal(o.Object); strings.Contains(string(data), hostSecret) {
						t.Errorf("object %s holds the host's secret", o.GetName())
					}
				}
				t.Fatalf("Render returned %d objects and no error", len(res.Objects))
			}
			t.Logf("error: %v", err)
			if !strings.Contains(err.Error(), "leads outside the repository") {
				t.Errorf("error %q does not say the path leads outside the repository", err)
			}
		})
	}
}

// fifoSpy makes a named pipe at path and tells whether anything opened it
// for reading: a writer waits on it, and its open returns only once a
// reader opens the other end. Reading it would block forever without the
// writer, so a test that fails this way still ends.
func fifoSpy(t *testing.T, path string) (opened func() bool) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		close(done)
		f.WriteString("{}\n")
		f.Close()
	}()
	t.Cleanup(func() {
		// Release the writer if nothing did.
		if f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			<-done
			f.Close()
		}
	})
	return func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
}

// TestJsonnetChecksImportsBeforeReading checks that an import out of the
// repository is refused before the file is opened, not after.
func TestJsonnetChecksImportsBeforeReading(t *testing.T) {
	for _, tt := range []struct {
		name, imp string
		links     map[string]string
	}{
		{name: "absolute path", imp: "HOST/spy.libsonnet"},
		{name: "relative path", imp: "../../host/spy.libsonnet"},
		{name: "chain of links", imp: "link/spy.libsonnet", links: map[string]string{"sub/up": "..", "j/link": "../sub/up/../host"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := hostileTree(t, nil, tt.links)
			host := filepath.Join(filepath.Dir(root), "host")
			opened := fifoSpy(t, filepath.Join(host, "spy.libsonnet"))
			imp := strings.Replace(tt.imp, "HOST", host, 1)
			write(t, filepath.Join(root, "j", "main.jsonnet"), "import '"+imp+"'\n")
			_, err := Render(t.Context(), Request{Root: root, Source: v1alpha1.ApplicationSource{Path: "j"}})
			if opened() {
				t.Errorf("the import out of the repository was opened")
			}
			if err == nil || !strings.Contains(err.Error(), "leads outside the repository") {
				t.Errorf("Render error = %v, want the import refused", err)
			}
		})
	}
}

// TestCacheChecksThePathBeforeReading checks that a source path out of the
// repository is refused before the cache digests anything under it.
func TestCacheChecksThePathBeforeReading(t *testing.T) {
	root := hostileTree(t, map[string]string{"a.yaml": configMap}, nil)
	opened := fifoSpy(t, filepath.Join(filepath.Dir(root), "host", "spy.yaml"))
	_, _, err := NewCache(4).Render(t.Context(), Request{Root: root, Source: v1alpha1.ApplicationSource{Path: "../host"}})
	if opened() {
		t.Errorf("a file out of the repository was opened")
	}
	if err == nil || !strings.Contains(err.Error(), "path ../host leads outside the repository") {
		t.Errorf("Render error = %v, want the path refused", err)
	}
}

// TestHelmFollowsLinksInside checks that a chart's links that stay in the
// repository work as Helm's own loader has them, a linked directory
// included, and that a link back to a directory that holds it is refused
// rather than walked forever.
func TestHelmFollowsLinksInside(t *testing.T) {
	files := map[string]string{
		"chart/Chart.yaml":        tokenChart,
		"chart/templates/cm.yaml": tokenTemplate,
		"shared/token":            "shared-token",
	}
	root := hostileTree(t, files, map[string]string{"chart/link": "../shared"})
	res, err := Render(t.Context(), Request{AppName: "app", Root: root, Source: v1alpha1.ApplicationSource{Path: "chart"}, Namespace: "dest"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 1 || res.Objects[0].Object["data"].(map[string]any)["token"] != "shared-token" {
		t.Errorf("objects = %v, want one ConfigMap with the shared token", res.Objects)
	}

	for name, target := range map[string]string{"chart/templates/loop": "..", "chart/self": ".", "chart/a/b": "../../chart"} {
		t.Run("loop "+name, func(t *testing.T) {
			root := hostileTree(t, files, map[string]string{"chart/link": "../shared", name: target})
			_, err := Render(t.Context(), Request{AppName: "app", Root: root, Source: v1alpha1.ApplicationSource{Path: "chart"}})
			if err == nil || !strings.Contains(err.Error(), "symbolic link to a directory that holds it") {
				t.Errorf("Render error = %v, want the loop refused", err)
			}
		})
	}
}
