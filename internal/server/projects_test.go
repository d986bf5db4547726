package server

import (
	"context"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func projectBody(name string, repos ...string) map[string]any {
	return map[string]any{"project": map[string]any{
		"metadata": map[string]any{"name": name},
		"spec":     map[string]any{"sourceRepos": repos, "destinations": []any{map[string]any{"server": "*", "namespace": "*"}}},
	}}
}

// TestProjectsLifecycle creates, upserts, lists, updates and deletes
// AppProjects through the API: a list shows a caller only the projects it
// may get; a project in use, and "default", are not deleted.
func TestProjectsLifecycle(t *testing.T) {
	e := newResEnv(t, grant{"viewer", "projects", "get", "team-b"})
	code, body := e.do(t, "admin", "POST", "/api/v1/projects", projectBody("team-a", "https://git.example/a.git"))
	if code != http.StatusOK {
		t.Fatalf("create: %d %s", code, body)
	}
	if code, _ := e.do(t, "admin", "POST", "/api/v1/projects", projectBody("team-a", "https://git.example/a.git")); code != http.StatusOK {
		t.Errorf("create of the same project: %d, want 200", code)
	}
	if code, _ := e.do(t, "admin", "POST", "/api/v1/projects", projectBody("team-a", "*")); code != http.StatusBadRequest {
		t.Errorf("create of a different project without upsert: %d, want 400", code)
	}
	req := projectBody("team-a", "*")
	req["upsert"] = true
	if code, body := e.do(t, "admin", "POST", "/api/v1/projects", req); code != http.StatusOK || !strings.Contains(string(body), `"sourceRepos":["*"]`) {
		t.Errorf("upsert: %d %s", code, body)
	}
	if code, _ := e.do(t, "viewer", "POST", "/api/v1/projects", projectBody("team-c")); code != http.StatusForbidden {
		t.Errorf("create without permission: %d, want 403", code)
	}
	if code, body := e.do(t, "admin", "POST", "/api/v1/projects", projectBody("team-b")); code != http.StatusOK {
		t.Fatalf("create team-b: %d %s", code, body)
	}

	_, body = e.do(t, "viewer", "GET", "/api/v1/projects", nil)
	var list v1alpha1.AppProjectList
	decode(t, body, &list)
	if len(list.Items) != 1 || list.Items[0].Name != "team-b" {
		t.Errorf("viewer's list = %v, want team-b only", projectNames(list.Items))
	}
	if code, _ := e.do(t, "viewer", "GET", "/api/v1/projects/team-a", nil); code != http.StatusForbidden {
		t.Errorf("viewer's get of team-a: %d, want 403", code)
	}

	if code, _ := e.do(t, "admin", "PUT", "/api/v1/projects/team-b", projectBody("team-a")); code != http.StatusBadRequest {
		t.Errorf("update whose body names another project: %d, want 400", code)
	}
	if code, body := e.do(t, "admin", "PUT", "/api/v1/projects/team-b", projectBody("team-b", "https://git.example/b.git")); code != http.StatusOK || !strings.Contains(string(body), "b.git") {
		t.Errorf("update: %d %s", code, body)
	}

	e.createApp(t, "uses-a", "https://git.example/a.git", "team-a")
	if code, body := e.do(t, "admin", "DELETE", "/api/v1/projects/team-a", nil); code != http.StatusBadRequest || !strings.Contains(string(body), "referenced by 1 applications") {
		t.Errorf("delete of a project in use: %d %s, want 400", code, body)
	}
	if code, _ := e.do(t, "admin", "DELETE", "/api/v1/projects/default", nil); code != http.StatusBadRequest {
		t.Errorf("delete of default: %d, want 400", code)
	}
	if code, body := e.do(t, "admin", "DELETE", "/api/v1/projects/team-b", nil); code != http.StatusOK {
		t.Errorf("delete of an unused project: %d %s", code, body)
	}
	if code, _ := e.do(t, "admin", "GET", "/api/v1/projects/team-b", nil); code != http.StatusNotFound {
		t.Errorf("get of a deleted project: %d, want 404", code)
	}
}

func projectNames(ps []v1alpha1.AppProject) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

// TestProjectDetailAndWindows reads a project's detail, with its scoped
// repositories shown without credentials, and its active sync windows.
func TestProjectDetailAndWindows(t *testing.T) {
	e := newResEnv(t)
	p := &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: "team-a"}, Spec: v1alpha1.AppProjectSpec{
		SourceRepos: []string{"*"},
		SyncWindows: v1alpha1.SyncWindows{
			{Kind: "allow", Schedule: "* * * * *", Duration: "1h", Applications: []string{"*"}},
			{Kind: "deny", Schedule: "0 0 30 2 *", Duration: "1h", Applications: []string{"*"}},
		},
	}}
	e.create(t, p, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: "repo-a", Labels: map[string]string{v1alpha1.LabelSecretType: v1alpha1.SecretTypeRepository}},
		StringData: map[string]string{"url": "https://git.example/a.git", "project": "team-a", "password": "project-repo-pass"},
	})
	code, body := e.do(t, "admin", "GET", "/api/v1/projects/team-a/detailed", nil)
	if code != http.StatusOK || strings.Contains(string(body), "project-repo-pass") || !strings.Contains(string(body), `"repo":"https://git.example/a.git"`) {
		t.Errorf("detailed: %d %s, want the repository without its password", code, body)
	}
	code, body = e.do(t, "admin", "GET", "/api/v1/projects/team-a/syncwindows", nil)
	var resp syncWindowsResponse
	decode(t, body, &resp)
	if code != http.StatusOK || len(resp.Windows) != 1 || resp.Windows[0].Kind != "allow" {
		t.Errorf("syncwindows: %d %s, want the open allow window only", code, body)
	}

}

// TestProjectSyncWindowChecks writes projects with sync windows: a good
// one is stored, a bad schedule or duration is refused with a message
// naming the project and the window, and the stored project keeps what
// it had.
func TestProjectSyncWindowChecks(t *testing.T) {
	e := newResEnv(t)
	good := v1alpha1.SyncWindow{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h", Applications: []string{"*"}}
	project := func(windows ...v1alpha1.SyncWindow) map[string]any {
		return map[string]any{"project": v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Name: "windows"}, Spec: v1alpha1.AppProjectSpec{SyncWindows: windows}}}
	}
	stored := func() v1alpha1.SyncWindows {
		t.Helper()
		var p v1alpha1.AppProject
		if err := e.client.Get(context.Background(), client.ObjectKey{Namespace: e.ns, Name: "windows"}, &p); err != nil {
			t.Fatal(err)
		}
		return p.Spec.SyncWindows
	}
	badDuration := good
	badDuration.Duration = "an hour"
	if code, out := e.do(t, "admin", "POST", "/api/v1/projects", project(badDuration)); code != http.StatusBadRequest || !strings.Contains(string(out), `project windows: sync window 1: duration \"an hour\"`) {
		t.Errorf("create with a bad duration: %d %s, want 400 naming the window and its duration", code, out)
	}
	var none v1alpha1.AppProject
	if err := e.client.Get(context.Background(), client.ObjectKey{Namespace: e.ns, Name: "windows"}, &none); err == nil {
		t.Errorf("a project with a bad window was created")
	}
	if code, out := e.do(t, "admin", "POST", "/api/v1/projects", project(good)); code != http.StatusOK {
		t.Fatalf("create: %d %s", code, out)
	}
	badSchedule := good
	badSchedule.Schedule = "0 22 * *"
	if code, out := e.do(t, "admin", "PUT", "/api/v1/projects/windows", project(good, badSchedule)); code != http.StatusBadRequest || !strings.Contains(string(out), `sync window 2: schedule \"0 22 * *\" is not a cron schedule`) {
		t.Errorf("update with a bad schedule: %d %s, want 400 naming the window and its schedule", code, out)
	}
	if got := stored(); len(got) != 1 || got[0].Schedule != good.Schedule {
		t.Errorf("after a refused update the project has windows %+v, want the one it had", got)
	}
	allow := v1alpha1.SyncWindow{Kind: "allow", Schedule: "@hourly", Duration: "10m", Namespaces: []string{"prod"}, ManualSync: true, UseAndOperator: true}
	if code, out := e.do(t, "admin", "PUT", "/api/v1/projects/windows", project(good, allow)); code != http.StatusOK {
		t.Fatalf("update: %d %s", code, out)
	}
	if got := stored(); len(got) != 2 || got[1].Schedule != "@hourly" || !got[1].UseAndOperator || !got[1].ManualSync {
		t.Errorf("after an update the project has windows %+v, want the allow window added", got)
	}
}
