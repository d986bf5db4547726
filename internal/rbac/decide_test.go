package rbac

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// decision is one question to a policy and the expected answer.
type decision struct {
	who                      Claims
	proj                     *v1alpha1.AppProject
	resource, action, object string
	want                     bool
}

// decideAll asks each question of cfg's policy, and compares all answers
// at once so that a failure lists every wrong one.
func decideAll(t *testing.T, data map[string]string, cases []decision) {
	t.Helper()
	p := testPolicy(t, data)
	want, got := map[string]bool{}, map[string]bool{}
	for _, d := range cases {
		key := fmt.Sprintf("%s%v %s, %s, %s", d.who.Subject, d.who.Groups, d.resource, d.action, d.object)
		if d.proj != nil {
			key += " (project " + d.proj.Name + ")"
		}
		want[key] = d.want
		got[key] = p.decide(context.Background(), d.proj, d.who, request{d.resource, d.action, d.object})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
}

// testPolicy is the compiled policy of an argocd-rbac-cm's data.
func testPolicy(t testing.TB, data map[string]string) *policy {
	t.Helper()
	cfg, err := ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPolicy(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func user(name string, groups ...string) Claims { return Claims{Subject: name, Groups: groups} }

func TestBuiltinRoles(t *testing.T) {
	admin, reader, nobody := user("admin"), user("reader"), user("nobody")
	decideAll(t, map[string]string{"policy.csv": "g, reader, role:readonly"}, []decision{
		{who: admin, resource: "applications", action: "get", object: "a/web", want: true},
		{who: admin, resource: "applications", action: "sync", object: "a/web", want: true},
		{who: admin, resource: "applications", action: "update/apps/Deployment/prod/web", object: "a/web", want: true},
		{who: admin, resource: "applications", action: "delete//Pod/prod/web-1", object: "a/ns/web", want: true},
		{who: admin, resource: "applications", action: "action/apps/Deployment/restart", object: "a/web", want: true},
		{who: admin, resource: "clusters", action: "delete", object: "https://kubernetes.default.svc", want: true},
		{who: admin, resource: "exec", action: "create", object: "a/web", want: true},
		{who: reader, resource: "applications", action: "get", object: "a/web", want: true},
		{who: reader, resource: "applications", action: "get", object: "a/other-ns/web", want: true},
		{who: reader, resource: "logs", action: "get", object: "a/web", want: true},
		{who: reader, resource: "repositories", action: "get", object: "https://git.example/x.git", want: true},
		{who: reader, resource: "applications", action: "sync", object: "a/web", want: false},
		{who: reader, resource: "applications", action: "update/apps/Deployment/prod/web", object: "a/web", want: false},
		{who: reader, resource: "exec", action: "create", object: "a/web", want: false},
		{who: reader, resource: "accounts", action: "update", object: "reader", want: false},
		{who: nobody, resource: "applications", action: "get", object: "a/web", want: false},
		{who: Claims{}, resource: "applications", action: "get", object: "a/web", want: false},
	})
}

func TestCustomRoles(t *testing.T) {
	policy := `
p, role:team-a, applications, *, team-a/*, allow
p, role:team-a, applications, delete, team-a/prod-*, deny
p, role:team-a, applications, delete/*, team-a/prod-*, deny
p, role:editor, applications, update, */*, allow
p, role:patcher, applications, update/apps/Deployment/*, */*, allow
p, role:restarter, applications, action/apps/Deployment/restart, */*, allow
g, alice, role:team-a
g, team-a-devs, role:team-a
g, ed, role:editor
g, pat, role:patcher
g, rick, role:restarter
p, carol, applications, get, */*, allow
p, carol, applications, get, secret/*, deny
`
	alice, dev, ed, pat, rick, carol := user("alice"), user("sso-user", "other", "team-a-devs"), user("ed"), user("pat"), user("rick"), user("carol")
	decideAll(t, map[string]string{"policy.csv": policy}, []decision{
		// A role limited to one project.
		{who: alice, resource: "applications", action: "get", object: "team-a/web", want: true},
		{who: alice, resource: "applications", action: "sync", object: "team-a/web", want: true},
		{who: alice, resource: "applications", action: "get", object: "team-a/apps-ns/web", want: true},
		{who: alice, resource: "applications", action: "get", object: "team-b/web", want: false},
		{who: alice, resource: "applications", action: "get", object: "team-ab/web", want: false},
		{who: alice, resource: "clusters", action: "get", object: "https://kubernetes.default.svc", want: false},
		// Deny wins over allow of the same subject.
		{who: alice, resource: "applications", action: "delete", object: "team-a/dev-web", want: true},
		{who: alice, resource: "applications", action: "delete", object: "team-a/prod-web", want: false},
		{who: alice, resource: "applications", action: "delete//Pod/prod/web-1", object: "team-a/prod-web", want: false},
		{who: carol, resource: "applications", action: "get", object: "public/web", want: true},
		{who: carol, resource: "applications", action: "get", object: "secret/web", want: false},
		// A group of the caller.
		{who: dev, resource: "applications", action: "sync", object: "team-a/web", want: true},
		{who: dev, resource: "applications", action: "sync", object: "team-b/web", want: false},
		// update covers the application, not its resources.
		{who: ed, resource: "applications", action: "update", object: "team-b/web", want: true},
		{who: ed, resource: "applications", action: "update/apps/Deployment/prod/web", object: "team-b/web", want: false},
		{who: pat, resource: "applications", action: "update/apps/Deployment/prod/web", object: "team-b/web", want: true},
		{who: pat, resource: "applications", action: "update//ConfigMap/prod/web", object: "team-b/web", want: false},
		{who: pat, resource: "applications", action: "update", object: "team-b/web", want: false},
		{who: rick, resource: "applications", action: "action/apps/Deployment/restart", object: "x/web", want: true},
		{who: rick, resource: "applications", action: "action/apps/Deployment/scale", object: "x/web", want: false},
	})
}

func TestDefaultRole(t *testing.T) {
	policy := "p, role:readonly, applications, get, hidden/*, deny\np, carol, applications, get, a/*, deny"
	decideAll(t, map[string]string{"policy.default": "role:readonly", "policy.csv": policy}, []decision{
		// As in Argo CD, the default role is decided on its own: a deny
		// of the user's does not take away what it gives.
		{who: user("carol"), resource: "applications", action: "get", object: "a/web", want: true},
		{who: user("anyone"), resource: "applications", action: "get", object: "a/web", want: true},
		{who: user("anyone"), resource: "applications", action: "get", object: "hidden/web", want: false},
		{who: user("anyone"), resource: "applications", action: "sync", object: "a/web", want: false},
		{who: Claims{}, resource: "projects", action: "get", object: "a", want: true},
	})
}

func TestRegexMode(t *testing.T) {
	policy := "p, role:r, applications, (get|sync), team-(a|b)/.*, allow\ng, rex, role:r\ng, boss, role:admin"
	rex := user("rex")
	decideAll(t, map[string]string{"policy.matchMode": "regex", "policy.csv": policy}, []decision{
		{who: rex, resource: "applications", action: "get", object: "team-a/web", want: true},
		{who: rex, resource: "applications", action: "sync", object: "team-b/web", want: true},
		{who: rex, resource: "applications", action: "delete", object: "team-b/web", want: false},
		// Anchored: a pattern matches the whole value, not a part of it.
		{who: rex, resource: "applications", action: "get", object: "xteam-a/web", want: false},
		{who: rex, resource: "applications", action: "getx", object: "team-a/web", want: false},
		// The built-in roles mean the same in regex mode.
		{who: user("boss"), resource: "applications", action: "update/apps/Deployment/ns/web", object: "z/web", want: true},
		{who: user("boss"), resource: "clusters", action: "create", object: "https://x", want: true},
	})
}

func appProject(name string, roles ...v1alpha1.ProjectRole) *v1alpha1.AppProject {
	return &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.AppProjectSpec{Roles: roles}}
}

func TestProjectRoles(t *testing.T) {
	a := appProject("a", v1alpha1.ProjectRole{
		Name: "ci",
		Policies: []string{
			"p, proj:a:ci, applications, sync, a/*, allow",
			"p, proj:a:ci, applications, get, a/*, allow",
			"p, proj:a:ci, applications, get, a/secret, deny",
			// Each of these reaches beyond the role and is left out.
			"p, proj:a:ci, applications, delete, b/*, allow",
			"p, mallory, applications, delete, a/*, allow",
			"p, proj:a:ci, projects, update, a, allow",
			"p, proj:a:ci, clusters, delete, *, allow",
			"g, mallory, role:admin",
			"p, proj:a:ci, applications, update, a/[*, allow",
		},
		Groups: []string{"a-deployers"},
	})
	b := appProject("b", v1alpha1.ProjectRole{Name: "ci", Policies: []string{"p, proj:b:ci, applications, get, b/*, allow"}})
	token, deployer, mallory := user("proj:a:ci"), user("sso", "a-deployers"), user("mallory")
	decideAll(t, map[string]string{"policy.default": "role:readonly"}, []decision{
		{who: token, proj: a, resource: "applications", action: "sync", object: "a/web", want: true},
		{who: token, proj: a, resource: "applications", action: "get", object: "a/web", want: true},
		{who: token, proj: a, resource: "applications", action: "get", object: "a/secret", want: true}, // the default role allows it
		{who: token, proj: a, resource: "applications", action: "delete", object: "a/web", want: false},
		{who: token, proj: a, resource: "projects", action: "update", object: "a", want: false},
		{who: token, proj: a, resource: "projects", action: "get", object: "a", want: true},
		{who: token, proj: b, resource: "projects", action: "get", object: "b", want: false},
		// A project role's token sees nothing of another project, not
		// even what the default role would show.
		{who: token, proj: b, resource: "applications", action: "get", object: "b/web", want: false},
		{who: token, proj: b, resource: "applications", action: "delete", object: "b/web", want: false},
		// Outside any project, the default role applies.
		{who: token, resource: "clusters", action: "get", object: "https://x", want: true},
		{who: token, resource: "clusters", action: "delete", object: "https://x", want: false},
		// A group bound to the role by spec.roles[].groups.
		{who: deployer, proj: a, resource: "applications", action: "sync", object: "a/web", want: true},
		{who: deployer, proj: b, resource: "applications", action: "sync", object: "b/web", want: false},
		{who: mallory, proj: a, resource: "applications", action: "delete", object: "a/web", want: false},
		{who: mallory, proj: a, resource: "clusters", action: "delete", object: "https://x", want: false},
		{who: mallory, resource: "clusters", action: "delete", object: "https://x", want: false},
	})
	decideAll(t, nil, []decision{
		{who: token, proj: a, resource: "applications", action: "get", object: "a/secret", want: false},
		{who: token, proj: a, resource: "projects", action: "get", object: "a", want: true},
		{who: user("proj:b:ci"), proj: b, resource: "applications", action: "get", object: "b/web", want: true},
	})
}

func TestRolePolicyReportsWhatItLeavesOut(t *testing.T) {
	a := appProject("a", v1alpha1.ProjectRole{Name: "r", Groups: []string{"g1"}, Policies: []string{
		"p, proj:a:r, applications, get, a/*, allow",
		"p, proj:a:x, applications, get, a/*, allow",
		"p, proj:a:r, applications, get, ab/*, allow",
		"p, proj:a:r, projects, get, a, allow",
		"g, g2, proj:a:r",
		"p, broken",
	}})
	got, errs := RolePolicy(a)
	want := Policy{
		Permissions: []Permission{{"proj:a:r", "applications", "get", "a/*", Allow}, {"proj:a:r", "projects", "get", "a", Allow}},
		Grants:      []Grant{{"g1", "proj:a:r"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("policy (-want +got):\n%s", diff)
	}
	var msgs []string
	for _, err := range errs {
		msgs = append(msgs, err.Error())
	}
	wantMsgs := []string{
		`AppProject a role r policy 1: subject "proj:a:x" is not the role's own, proj:a:r`,
		`AppProject a role r policy 2: object "ab/*" is not in project a (want a/...)`,
		`AppProject a role r policy 3: resource "projects" is not one of applications, applicationsets, repositories, clusters, logs, exec`,
		`AppProject a role r policy 4: a project role's policy has p lines only`,
		`AppProject a role r policy 5: AppProject a role r policy 5 line 1: want p, subject, resource, action, object, allow|deny; got 2 fields`,
	}
	if diff := cmp.Diff(wantMsgs, msgs); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestProjectOf(t *testing.T) {
	got := map[string]string{}
	for _, q := range [][2]string{
		{"applications", "a/web"}, {"applications", "a/ns/web"}, {"logs", "a/web"}, {"exec", "a/web"},
		{"applicationsets", "a/set"}, {"projects", "a"}, {"repositories", "a/https://git.example/x.git"},
		{"clusters", "https://kubernetes.default.svc"}, {"accounts", "alice"}, {"applications", "web"},
	} {
		got[q[0]+" "+q[1]] = ProjectOf(q[0], q[1])
	}
	want := map[string]string{
		"applications a/web": "a", "applications a/ns/web": "a", "logs a/web": "a", "exec a/web": "a",
		"applicationsets a/set": "a", "projects a": "a", "repositories a/https://git.example/x.git": "a",
		"clusters https://kubernetes.default.svc": "https:", "accounts alice": "", "applications web": "",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ProjectOf (-want +got):\n%s", diff)
	}
}

// TestProjectRolesFollowTheirVersion changes a project's roles under a
// new resourceVersion, then without one: the decisions follow the roles
// each time, though the enforcer of a version is built once.
func TestProjectRolesFollowTheirVersion(t *testing.T) {
	p := testPolicy(t, nil)
	withRole := func(version, action string) *v1alpha1.AppProject {
		proj := appProject("a", v1alpha1.ProjectRole{Name: "ci", Policies: []string{"p, proj:a:ci, applications, " + action + ", a/*, allow"}})
		proj.ResourceVersion = version
		return proj
	}
	token := user("proj:a:ci")
	var got []string
	for _, proj := range []*v1alpha1.AppProject{withRole("5", "get"), withRole("5", "get"), withRole("6", "sync"), withRole("", "get"), withRole("", "sync")} {
		get := p.decide(context.Background(), proj, token, request{"applications", "get", "a/web"})
		sync := p.decide(context.Background(), proj, token, request{"applications", "sync", "a/web"})
		got = append(got, fmt.Sprintf("version %q: get %v, sync %v", proj.ResourceVersion, get, sync))
	}
	want := []string{
		`version "5": get true, sync false`, `version "5": get true, sync false`, `version "6": get false, sync true`,
		`version "": get true, sync false`, `version "": get false, sync true`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
}
