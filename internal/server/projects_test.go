package server

import (
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
