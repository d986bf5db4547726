package cluster

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv"
)

// The watches answer from memory, on one control plane.
func TestLiveAnswersFromTheWatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e, err := testenv.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = e.Stop(!t.Failed()) }()
	t.Run("namespaces", func(t *testing.T) { testNamespaceExists(ctx, t, e) })
	t.Run("an object since a version", func(t *testing.T) { testGetSince(ctx, t, e) })
}

// Whether a namespace exists is answered from the watch of the cluster's
// namespaces, new ones included; credentials that may read a namespace but
// not list them get no answer (known false), and the caller reads it.
func testNamespaceExists(ctx context.Context, t *testing.T, e *testenv.Env) {
	admin := kubernetes.NewForConfigOrDie(e.Config())

	live, err := NewLive(ctx, e.Config(), "app.kubernetes.io/instance", nil)
	if err != nil {
		t.Fatal(err)
	}
	if exists, known := live.NamespaceExists("default"); !exists || !known {
		t.Errorf("default: exists %t, known %t; want both", exists, known)
	}
	if exists, known := live.NamespaceExists("not-there"); exists || !known {
		t.Errorf("not-there: exists %t, known %t; want known missing", exists, known)
	}
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "made-later"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for exists, _ := live.NamespaceExists("made-later"); !exists; exists, _ = live.NamespaceExists("made-later") {
		if ctx.Err() != nil {
			t.Fatal("a namespace created after the watch began never showed in it")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A user that may get namespaces but not list them.
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "namespace-reader"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get"}}}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "namespace-reader"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "reader"}}}
	if _, err := admin.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	reader := e.Config()
	reader.Impersonate.UserName = "reader"
	limited, err := NewLive(ctx, reader, "app.kubernetes.io/instance", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, known := limited.NamespaceExists("default"); known {
		t.Error("credentials that may not list namespaces got an answer from a watch")
	}
}

// GetSince finds an object capstan has just written even when its watch
// event is still on the way, and answers at once, without waiting out its
// patience, for an object the watch has seen go.
func testGetSince(ctx context.Context, t *testing.T, e *testenv.Env) {
	admin := kubernetes.NewForConfigOrDie(e.Config())
	live, err := NewLive(ctx, e.Config(), "app.kubernetes.io/instance", nil)
	if err != nil {
		t.Fatal(err)
	}
	gvr := corev1.SchemeGroupVersion.WithResource("configmaps")
	const patience = time.Minute
	start := time.Now()
	if _, found := live.GetSince(ctx, gvr, "default", "since", "1", patience); found {
		t.Error("GetSince found an object of a kind not watched")
	}
	if waited := time.Since(start); waited > patience/2 {
		t.Errorf("GetSince of a kind not watched waited %s", waited)
	}
	if err := live.Watch(ctx, gvr, corev1.SchemeGroupVersion.WithKind("ConfigMap"), true); err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "since", Namespace: "default", Labels: map[string]string{v1alpha1.LabelCapstanManaged: "true"}}}
	created, err := admin.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, found := live.GetSince(ctx, gvr, "default", "since", created.ResourceVersion, patience)
	if !found || got.UID != created.UID {
		t.Fatalf("GetSince of the version just created: found %t, %+v", found, got)
	}

	if err := admin.CoreV1().ConfigMaps("default").Delete(ctx, "since", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, there := live.Get(gvr, "default", "since"); there; _, there = live.Get(gvr, "default", "since") {
		if ctx.Err() != nil {
			t.Fatal("the deletion never reached the watch")
		}
		time.Sleep(20 * time.Millisecond)
	}
	start = time.Now()
	if _, found := live.GetSince(ctx, gvr, "default", "since", created.ResourceVersion, patience); found {
		t.Error("GetSince found an object the watch saw deleted")
	}
	if waited := time.Since(start); waited > patience/2 {
		t.Errorf("GetSince of a deleted object waited %s: it waits only while the watch is behind", waited)
	}
}
