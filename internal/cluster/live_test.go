package cluster

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan-cd/capstan/internal/testenv"
)

// Whether a namespace exists is answered from the watch of the cluster's
// namespaces, new ones included; credentials that may read a namespace but
// not list them get no answer (known false), and the caller reads it.
func TestNamespaceExistsFromTheWatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, err := testenv.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = e.Stop(!t.Failed()) }()
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
