package cli

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// webApp is a small app without hooks: a Deployment and a Service.
var webApp = map[string]string{
	"web/deployment.yaml": guestbook["guestbook/deployment.yaml"],
	"web/service.yaml":    guestbook["guestbook/service.yaml"],
}

const webConfigMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-settings
data:
  mode: blue
`

// getApp reads an Application through the CLI with -o json.
func (s *cliServer) getApp(t *testing.T, name string) *v1alpha1.Application {
	t.Helper()
	out := s.must(t, "app", "get", name, "-o", "json")
	var app v1alpha1.Application
	if err := json.Unmarshal([]byte(out), &app); err != nil {
		t.Fatalf("app get -o json: %v\n%s", err, out)
	}
	return &app
}

// TestAppLifecycleThroughCLI drives an Application from creation to
// deletion with the CLI only, against a real server and controller:
// create, sync (following the event stream), wait, get, history,
// rollback to the first deployment, delete.
func TestAppLifecycleThroughCLI(t *testing.T) {
	s := newCLIServer(t, true)
	s.login(t)
	repo := gitserver.NewRepo(t, t.TempDir(), "web")
	first := repo.Commit(t, "main", webApp, "v1")
	repo.SetHead(t, "main")
	dest := s.namespace + "-web"

	s.must(t, "app", "create", "web", "--repo", repo.URL(), "--path", "web", "--revision", "main",
		"--dest-server", "https://kubernetes.default.svc", "--dest-namespace", dest, "--sync-option", "CreateNamespace=true")
	if out := s.must(t, "app", "list", "-o", "name"); out != s.namespace+"/web\n" {
		t.Errorf("app list -o name: %q", out)
	}

	out, err := s.run(t, "", "app", "diff", "web")
	if code, _ := ExitCode(err); err == nil || code != 1 || !strings.Contains(out, "===== apps/Deployment "+dest+"/guestbook-ui ======") {
		t.Errorf("app diff before the first sync: %v (exit %d)\n%s", err, code, out)
	}
	if out := s.must(t, "app", "manifests", "web"); !strings.Contains(out, "kind: Deployment") || !strings.Contains(out, "kind: Service") {
		t.Errorf("app manifests:\n%s", out)
	}

	out = s.must(t, "app", "sync", "web", "--timeout", "120")
	for _, want := range []string{"TIMESTAMP", "Deployment", "guestbook-ui", "Phase:              Succeeded", "Sync Status:        Synced to main (" + first[:7] + ")"} {
		if !strings.Contains(out, want) {
			t.Errorf("app sync printed no %q:\n%s", want, out)
		}
	}
	s.must(t, "app", "wait", "web", "--sync", "--health", "--timeout", "120")
	app := s.getApp(t, "web")
	if app.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced || app.Status.Health.Status != v1alpha1.HealthStatusHealthy {
		t.Fatalf("after sync and wait: sync %s, health %s", app.Status.Sync.Status, app.Status.Health.Status)
	}
	s.must(t, "app", "set", "web", "--label", "team=blue")
	// The list is served from the server's cache, which follows the write.
	var listed string
	eventually(t, func() bool {
		listed = s.must(t, "app", "list", "-l", "team=blue", "-o", "name")
		return listed != ""
	})
	if listed != s.namespace+"/web\n" {
		t.Errorf("app list -l after app set --label: %q", listed)
	}
	if out := s.must(t, "app", "resources", "web"); !regexp.MustCompile(`(?m)^apps +Deployment +` + dest + ` +guestbook-ui +No$`).MatchString(out) {
		t.Errorf("app resources:\n%s", out)
	}
	s.must(t, "app", "patch-resource", "web", "--kind", "Deployment", "--group", "apps", "--resource-name", "guestbook-ui",
		"--namespace", dest, "--patch", `{"metadata":{"labels":{"patched":"yes"}}}`)
	var deploy appsv1.Deployment
	if err := s.direct.Get(t.Context(), client.ObjectKey{Namespace: dest, Name: "guestbook-ui"}, &deploy); err != nil || deploy.Labels["patched"] != "yes" {
		t.Errorf("app patch-resource: %v, labels %v", err, deploy.Labels)
	}
	if out := s.must(t, "app", "actions", "list", "web", "--kind", "Deployment"); !regexp.MustCompile(`(?m)^apps +Deployment +guestbook-ui +restart +false$`).MatchString(out) {
		t.Errorf("app actions list:\n%s", out)
	}
	s.must(t, "app", "actions", "run", "web", "restart", "--kind", "Deployment")
	if err := s.direct.Get(t.Context(), client.ObjectKey{Namespace: dest, Name: "guestbook-ui"}, &deploy); err != nil ||
		deploy.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"] == "" {
		t.Errorf("app actions run restart: %v, template annotations %v", err, deploy.Spec.Template.Annotations)
	}
	if out, err := s.run(t, "", "app", "diff", "web"); err != nil {
		t.Errorf("app diff of a synced Application: %v\n%s", err, out)
	}
	local := writeTree(t, webApp)
	if out, err := s.run(t, "", "app", "diff", "web", "--local", local); err != nil {
		t.Errorf("app diff --local of the synced tree: %v\n%s", err, out)
	}
	changed := writeTree(t, map[string]string{"web/service.yaml": webApp["web/service.yaml"],
		"web/deployment.yaml": strings.Replace(webApp["web/deployment.yaml"], "replicas: 1", "replicas: 3", 1)})
	out, err = s.run(t, "", "app", "diff", "web", "--local", changed)
	if code, _ := ExitCode(err); code != 1 || !strings.Contains(out, "-  replicas: 1\n+  replicas: 3\n") {
		t.Errorf("app diff --local of a changed tree: %v (exit %d)\n%s", err, code, out)
	}

	second := repo.Commit(t, "main", map[string]string{"web/configmap.yaml": webConfigMap}, "v2")
	// The controller polls the repository hourly here: name the commit.
	out = s.must(t, "app", "sync", "web", "--revision", second, "--timeout", "120")
	if !strings.Contains(out, "web-settings") || !strings.Contains(out, "("+second[:7]+")") {
		t.Errorf("the second sync did not apply v2:\n%s", out)
	}
	history := s.getApp(t, "web").Status.History
	if len(history) != 2 || history[0].Revision != first || history[1].Revision != second {
		t.Fatalf("history after two syncs: %+v", history)
	}
	if out := s.must(t, "app", "history", "web"); !strings.Contains(out, first[:7]) || !strings.Contains(out, second[:7]) {
		t.Errorf("app history:\n%s", out)
	}

	cm := client.ObjectKey{Namespace: dest, Name: "web-settings"}
	if err := s.direct.Get(t.Context(), cm, &corev1.ConfigMap{}); err != nil {
		t.Fatalf("v2's ConfigMap: %v", err)
	}
	out = s.must(t, "app", "rollback", "web", "--prune", "--timeout", "120", fmtID(history[0].ID))
	if !strings.Contains(out, "Phase:              Succeeded") {
		t.Errorf("app rollback:\n%s", out)
	}
	// Pruned with foreground propagation (the default): the ConfigMap may
	// stay a moment, marked for deletion, until the garbage collector lets
	// it go.
	var left corev1.ConfigMap
	if err := s.direct.Get(t.Context(), cm, &left); !apierrors.IsNotFound(err) && (err != nil || left.DeletionTimestamp == nil) {
		t.Errorf("the rollback to v1 with --prune left v2's ConfigMap: %v, marked for deletion %v", err, left.DeletionTimestamp)
	}
	if rev := s.getApp(t, "web").Status.OperationState.SyncResult.Revision; rev != first {
		t.Errorf("rolled back to %s, want %s", rev, first)
	}

	s.must(t, "app", "delete", "web", "-y", "--wait", "--timeout", "120")
	if err := s.direct.Get(t.Context(), client.ObjectKey{Namespace: s.namespace, Name: "web"}, &v1alpha1.Application{}); !apierrors.IsNotFound(err) {
		t.Errorf("the Application is still there after app delete --wait: %v", err)
	}
	// A missing Application is answered as forbidden, not to tell what exists.
	if _, err := s.run(t, "", "app", "get", "web"); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("app get of a deleted Application: %v", err)
	}
}

func fmtID(id int64) string {
	b, _ := json.Marshal(id)
	return string(b)
}
