package rbac

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/settings"
)

// TestWatchFollowsArgocdRbacCm edits argocd-rbac-cm on the real control
// plane: a good change is in force without a restart; a bad one is
// reported and the last good policy stays, never allow-all.
func TestWatchFollowsArgocdRbacCm(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cl := env.Client(t)
	cm, e := watchPolicy(ctx, t, cl, "rbac-watch", map[string]string{"policy.csv": "g, alice, role:readonly"})
	alice, bob := Claims{Subject: "alice"}, Claims{Subject: "bob"}
	can := func(c Claims, action string) bool { return e.Enforce(ctx, c, "applications", action, "a/web") }
	if !can(alice, "get") || can(alice, "sync") {
		t.Fatalf("first policy: alice get=%v sync=%v, want true false", can(alice, "get"), can(alice, "sync"))
	}

	cm.Data["policy.team.csv"] = "g, alice, role:admin"
	if err := cl.Update(ctx, cm); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "alice to become admin", func() bool { return can(alice, "sync") })

	cm.Data["policy.csv"] = "p, alice, applications, *, */*"
	cm.Data["policy.default"] = "role:admin"
	if err := cl.Update(ctx, cm); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the error", func() bool { return e.Err() != nil })
	if !strings.Contains(e.Err().Error(), "policy.csv line 1") {
		t.Errorf("error %v does not name the key and line", e.Err())
	}
	if !can(alice, "sync") || can(bob, "get") {
		t.Errorf("after a bad policy: alice sync=%v, bob get=%v; want the last good policy (true, false)", can(alice, "sync"), can(bob, "get"))
	}
}

// TestBadFirstPolicyIsBuiltinOnly: a policy that does not parse at start
// leaves the built-in roles alone, not its default role.
func TestBadFirstPolicyIsBuiltinOnly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, e := watchPolicy(ctx, t, env.Client(t), "rbac-bad-start", map[string]string{"policy.default": "role:admin", "policy.csv": "p, x"})
	if e.Err() == nil {
		t.Error("no error reported for a policy that does not parse")
	}
	if e.Enforce(ctx, Claims{Subject: "bob"}, "applications", "get", "a/web") {
		t.Error("bob may get an application under a policy that did not parse")
	}
	if !e.Enforce(ctx, Claims{Subject: "admin"}, "applications", "delete", "a/web") {
		t.Error("the built-in admin may not delete an application")
	}
}

// TestProjectRolesFromTheCluster reads the roles of real AppProjects, and
// follows a change to them.
func TestProjectRolesFromTheCluster(t *testing.T) {
	ctx := context.Background()
	cl := env.Client(t)
	const ns = "rbac-projects"
	if err := cl.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	proj := &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: ns}, Spec: v1alpha1.AppProjectSpec{Roles: []v1alpha1.ProjectRole{{
		Name: "ci", Policies: []string{"p, proj:a:ci, applications, sync, a/*, allow"},
	}}}}
	// Right after the CRDs are installed, discovery may not list them yet.
	waitFor(t, "AppProjects to be served", func() bool { return cl.List(ctx, &v1alpha1.AppProjectList{}) == nil })
	if err := cl.Create(ctx, proj); err != nil {
		t.Fatal(err)
	}
	e, err := New(Config{MatchMode: MatchGlob}, cl, ns)
	if err != nil {
		t.Fatal(err)
	}
	ci := Claims{Subject: "proj:a:ci"}
	if !e.Enforce(ctx, ci, "applications", "sync", "a/web") {
		t.Error("the role may not sync an application of its project")
	}
	if e.Enforce(ctx, ci, "applications", "sync", "missing/web") {
		t.Error("the role may sync an application of a project that does not exist")
	}
	proj.Spec.Roles[0].Policies[0] = "p, proj:a:ci, applications, get, a/*, allow"
	if err := cl.Update(ctx, proj); err != nil {
		t.Fatal(err)
	}
	if e.Enforce(ctx, ci, "applications", "sync", "a/web") {
		t.Error("the role may still sync after its policy was changed to get only")
	}
}

// watchPolicy creates namespace ns with an argocd-rbac-cm of data, and
// returns it and an Enforcer that watches it until ctx ends.
func watchPolicy(ctx context.Context, t *testing.T, cl client.Client, ns string, data map[string]string) (*corev1.ConfigMap, *Enforcer) {
	t.Helper()
	if err := cl.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: settings.RBAC, Namespace: ns}, Data: data}
	if err := cl.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	w, err := settings.Watch(ctx, env.Config(), ns)
	if err != nil {
		t.Fatal(err)
	}
	return cm, Watch(ctx, w, cl, ns)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) { return cond(), nil })
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}
