package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// guestbook is a small app in plain YAML, written in an order that is not
// the sync order.
var guestbook = map[string]string{
	"guestbook/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: guestbook-ui
spec:
  replicas: 1
  selector:
    matchLabels: {app: guestbook-ui}
  template:
    metadata:
      labels: {app: guestbook-ui}
    spec:
      containers:
      - name: guestbook-ui
        image: gcr.io/heptio-images/ks-guestbook-demo:0.2
`,
	"guestbook/service.yaml": `apiVersion: v1
kind: Service
metadata:
  name: guestbook-ui
spec:
  ports: [{port: 80, targetPort: 80}]
  selector: {app: guestbook-ui}
`,
	"guestbook/smoke.yaml": `apiVersion: batch/v1
kind: Job
metadata:
  name: smoke
  annotations: {argocd.argoproj.io/hook: PostSync}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: smoke, image: curl}]
`,
}

const appManifest = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
spec:
  project: default
  source:
    repoURL: REPO
    targetRevision: HEAD
    path: PATH
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
`

func writeApp(t *testing.T, repoURL, path string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "app.yaml")
	body := strings.NewReplacer("REPO", repoURL, "PATH", path).Replace(appManifest)
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// writeTree writes files (path to content) into a new directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runCapstan(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := NewRootCommand()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(append(args, "--cache-dir", t.TempDir()))
	err := cmd.Execute()
	return out.String(), err
}

// kinds lists "Kind namespace/name" of multi-document YAML output.
func kinds(t *testing.T, yamlOut string) []string {
	t.Helper()
	var got []string
	for _, doc := range strings.Split(yamlOut, "---\n")[1:] {
		var kind, name, ns string
		for _, line := range strings.Split(doc, "\n") {
			switch {
			case strings.HasPrefix(line, "kind: "):
				kind = strings.TrimPrefix(line, "kind: ")
			case strings.HasPrefix(line, "  name: ") && name == "":
				name = strings.TrimPrefix(line, "  name: ")
			case strings.HasPrefix(line, "  namespace: "):
				ns = strings.TrimPrefix(line, "  namespace: ")
			}
		}
		got = append(got, kind+" "+ns+"/"+name)
	}
	return got
}

var wantOrder = []string{
	"Service guestbook/guestbook-ui",
	"Deployment guestbook/guestbook-ui",
	"Job guestbook/smoke",
}

func TestRenderFromGitOverHTTPWithBasicAuth(t *testing.T) {
	srv := gitserver.NewHTTP(t, gitserver.WithBasicAuth("ci", "s3cret-pass"))
	repo := srv.NewRepo(t, "apps")
	repo.Commit(t, "main", guestbook, "add guestbook")
	app := writeApp(t, srv.RepoURL("apps"), "guestbook")

	t.Setenv("CAPSTAN_REPO_USERNAME", "ci")
	t.Setenv("CAPSTAN_REPO_PASSWORD", "s3cret-pass")
	out, err := runCapstan(t, "render", "-f", app)
	if err != nil {
		t.Fatalf("capstan render: %v", err)
	}
	if diff := cmp.Diff(wantOrder, kinds(t, out)); diff != "" {
		t.Errorf("objects in sync order (-want +got):\n%s", diff)
	}
	if strings.Contains(out, "capstan") || strings.Contains(out, "tracking-id") {
		t.Errorf("render added something of capstan's to the objects:\n%s", out)
	}

	t.Setenv("CAPSTAN_REPO_PASSWORD", "wrong-pass")
	_, err = runCapstan(t, "render", "-f", app)
	if err == nil {
		t.Fatal("render with a wrong password succeeded")
	}
	if !strings.Contains(err.Error(), "application guestbook") || strings.Contains(err.Error(), "wrong-pass") {
		t.Errorf("error = %q; want one naming the Application and not the password", err)
	}
}

func TestRenderLocalWorkingTree(t *testing.T) {
	dir := writeTree(t, guestbook)
	// The repository need not be reachable: --local replaces it.
	app := writeApp(t, "https://git.invalid/apps.git", "guestbook")
	out, err := runCapstan(t, "render", "-f", app, "--local", dir)
	if err != nil {
		t.Fatalf("capstan render --local: %v", err)
	}
	if diff := cmp.Diff(wantOrder, kinds(t, out)); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}

	jsonOut, err := runCapstan(t, "render", "-f", app, "--local", dir, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var items []map[string]any
	if err := json.Unmarshal([]byte(jsonOut), &items); err != nil || len(items) != 3 {
		t.Errorf("-o json gave %d items, %v", len(items), err)
	}

	missing := writeApp(t, "https://git.invalid/apps.git", "nowhere")
	if _, err := runCapstan(t, "render", "-f", missing, "--local", dir); err == nil || !strings.Contains(err.Error(), "application guestbook") || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("missing path: err = %v; want one naming the Application and the path", err)
	}
}

func TestRenderRefusesWhatIsNotAnApplication(t *testing.T) {
	f := filepath.Join(t.TempDir(), "cm.yaml")
	if err := os.WriteFile(f, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := runCapstan(t, "render", "-f", f)
	if err == nil || !strings.Contains(err.Error(), "document 1") || !strings.Contains(err.Error(), "ConfigMap") {
		t.Errorf("err = %v; want one naming the document and its kind", err)
	}
}
