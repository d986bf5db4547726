package rbac

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// TestWildcardObjects pins what `account can-i` answers for objects that
// are themselves patterns, as Argo CD answers: the object asked about is
// matched as a plain value against each permission's pattern, so "*" is
// not "any application" to a permission on "*/*" (it has no "/"), while
// "default/*" and "*/*" are. The project whose roles apply is the one
// the object names, as Enforce finds it.
func TestWildcardObjects(t *testing.T) {
	team := appProject("team", v1alpha1.ProjectRole{Name: "deploy", Policies: []string{"p, proj:team:deploy, applications, sync, team/*, allow"}})
	projects := map[string]*v1alpha1.AppProject{"team": team, "default": appProject("default")}
	admin, reader, deployer := user("admin"), user("reader"), user("proj:team:deploy")
	var cases []decision
	add := func(who Claims, resource, action, object string, want bool) {
		cases = append(cases, decision{who: who, proj: projects[ProjectOf(resource, object)], resource: resource, action: action, object: object, want: want})
	}
	add(admin, "applications", "sync", "*", false)
	add(admin, "applications", "sync", "default/*", true)
	add(admin, "applications", "sync", "*/*", true)
	add(admin, "applications", "get", "*", false)
	add(admin, "applications", "update/*", "default/*", true)
	add(admin, "clusters", "create", "*", true)
	add(admin, "projects", "update", "*", true)
	add(reader, "applications", "get", "*", false)
	add(reader, "applications", "get", "default/*", true)
	add(reader, "applications", "get", "*/*", true)
	add(reader, "applications", "sync", "default/*", false)
	add(reader, "clusters", "get", "*", true)
	add(reader, "projects", "update", "*", false)
	add(deployer, "applications", "sync", "team/*", true)
	add(deployer, "applications", "sync", "*", false)
	add(deployer, "applications", "sync", "*/*", false)
	add(deployer, "applications", "sync", "default/*", false)
	add(deployer, "projects", "get", "team", true)
	decideAll(t, map[string]string{"policy.csv": "g, reader, role:readonly"}, cases)
}

func TestCheckQuestion(t *testing.T) {
	for _, tc := range []struct {
		resource, action string
		ok               bool
	}{
		{"applications", "sync", true},
		{"applications", "update/apps/Deployment/prod/web", true},
		{"applications", "action/apps/Deployment/restart", true},
		{"clusters", "get", true},
		{"extensions", "invoke", true},
		{"application", "get", false},
		{"applications", "deploy", false},
		{"applications", "", false},
		{"", "get", false},
	} {
		if err := CheckQuestion(tc.resource, tc.action); (err == nil) != tc.ok {
			t.Errorf("CheckQuestion(%q, %q) = %v, want ok %v", tc.resource, tc.action, err, tc.ok)
		}
	}
}

func TestQuestionObject(t *testing.T) {
	type question struct{ resource, object string }
	got := map[question]string{}
	want := map[question]string{
		{"applications", "default/argocd/web"}:  "default/web",
		{"applications", "default/team-ns/web"}: "default/team-ns/web",
		{"applications", "default/web"}:         "default/web",
		{"applications", "*"}:                   "*",
		{"applications", "*/argocd/*"}:          "*/*",
		{"logs", "default/argocd/web"}:          "default/web",
		{"projects", "a/argocd/b"}:              "a/argocd/b",
		{"accounts", "x/argocd/y"}:              "x/argocd/y",
	}
	for q := range want {
		got[q] = QuestionObject(q.resource, q.object, "argocd")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("QuestionObject (-want +got):\n%s", diff)
	}
}
