package cli

import (
	"strings"
	"testing"

	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// TestCoreWithoutServer drives an Application with --core: no capstan
// server runs, the CLI reaches Kubernetes with the kubeconfig and serves
// the API in its own process; sync follows the same event stream.
func TestCoreWithoutServer(t *testing.T) {
	s := newCLIServer(t, true) // for the controller; its API is not used
	repo := gitserver.NewRepo(t, t.TempDir(), "web")
	rev := repo.Commit(t, "main", webApp, "v1")
	repo.SetHead(t, "main")
	core := []string{"--core", "--kubeconfig", env.Cluster.Kubeconfig, "--core-namespace", s.namespace}
	must := func(args ...string) string {
		t.Helper()
		out, err := runCLI(t, "", append(args, core...)...)
		if err != nil {
			t.Fatalf("capstan %s --core: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	must("app", "create", "web", "--repo", repo.URL(), "--path", "web", "--dest-server", "https://kubernetes.default.svc",
		"--dest-namespace", s.namespace+"-web", "--sync-option", "CreateNamespace=true")
	if out := must("app", "list"); !strings.Contains(out, s.namespace+"/web") {
		t.Errorf("app list --core:\n%s", out)
	}
	out := must("app", "sync", "web", "--timeout", "120")
	if !strings.Contains(out, "Phase:              Succeeded") || !strings.Contains(out, "("+rev[:7]+")") || !strings.Contains(out, "TIMESTAMP") {
		t.Errorf("app sync --core:\n%s", out)
	}
	must("app", "wait", "web", "--health", "--timeout", "120")
	if out := must("app", "get", "web"); !strings.Contains(out, "Health Status:      Healthy") {
		t.Errorf("app get --core:\n%s", out)
	}
	must("app", "delete", "web", "-y", "--wait", "--timeout", "120")
	if out := must("app", "list", "-o", "name"); out != "" {
		t.Errorf("app list after delete --core: %q", out)
	}

	// A context made by `login --core` says the same without the flag.
	cfg := t.TempDir() + "/config"
	if out, err := runCLI(t, "", "login", "--core", "--config", cfg); err != nil {
		t.Fatalf("login --core: %v\n%s", err, out)
	}
	out, err := runCLI(t, "", "app", "list", "--config", cfg, "--kubeconfig", env.Cluster.Kubeconfig, "--core-namespace", s.namespace)
	if err != nil || !strings.HasPrefix(out, "NAME") {
		t.Errorf("app list with a --core context: %v\n%s", err, out)
	}
}
