package cluster

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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
	t.Run("the objects an Application owns", func(t *testing.T) { testOwned(ctx, t, e) })
	t.Run("health views follow the cache", func(t *testing.T) { testHealthViewsSettle(ctx, t, e) })
	t.Run("a kind watched already", func(t *testing.T) { testWatchedAlready(ctx, t, e) })
}

// Each pass asks for the watch of each kind it compares: once the kind is
// listed, the question allocates nothing (no timer for a wait that cannot
// come).
func testWatchedAlready(ctx context.Context, t *testing.T, e *testenv.Env) {
	live, err := NewLive(ctx, e.Config(), "app.kubernetes.io/instance", nil)
	if err != nil {
		t.Fatal(err)
	}
	gvr, gvk := corev1.SchemeGroupVersion.WithResource("configmaps"), corev1.SchemeGroupVersion.WithKind("ConfigMap")
	if err := live.Watch(ctx, gvr, gvk, true); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if err := live.Watch(ctx, gvr, gvk, true); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Watch of a kind listed already: %.0f allocations, want 0", allocs)
	}
}

// An object whose status moves while no pass asks for its health keeps
// the views of the cached version and the one before it, not of every
// version received: in a cold sync, each Deployment's rollout writes its
// status several times before its Application's next pass. A Service
// stands for the workloads here: no controller of the test's control
// plane writes its status.
func testHealthViewsSettle(ctx context.Context, t *testing.T, e *testenv.Env) {
	admin := kubernetes.NewForConfigOrDie(e.Config())
	live, err := NewLive(ctx, e.Config(), "app.kubernetes.io/instance", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := live.Watch(ctx, servicesResource, corev1.SchemeGroupVersion.WithKind("Service"), true); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "settle", Namespace: "default", Labels: map[string]string{v1alpha1.LabelCapstanManaged: "true"}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{Port: 80}}}}
	svc, err = admin.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Versions of the status alone, as a load balancer's controller
	// writes them.
	var versions []string
	for i := range 6 {
		svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: fmt.Sprintf("192.0.2.%d", i+1)}}
		if svc, err = admin.CoreV1().Services("default").UpdateStatus(ctx, svc, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, svc.ResourceVersion)
	}
	last := versions[len(versions)-1]
	key := viewKey(servicesResource, "default", "settle")
	// The cache's handler settles the views after the cache has taken a
	// version: wait until those of the versions before the last two go.
	deadline := time.Now().Add(30 * time.Second)
	for {
		live.health.mu.Lock()
		var kept []string
		for _, v := range live.health.views[key] {
			kept = append(kept, v.meta.ResourceVersion)
		}
		live.health.mu.Unlock()
		if slices.Equal(kept, versions[len(versions)-2:]) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("views kept of versions %v; want those of the last two of %v", kept, versions)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if m, ok := live.Get(servicesResource, "default", "settle"); !ok || m.ResourceVersion != last {
		t.Fatalf("the cache holds %+v; want version %s", m, last)
	}
	view, ok := live.HealthView(servicesResource, "default", "settle", last)
	if !ok {
		t.Fatal("no view of the cached version")
	}
	ingress, _, _ := unstructured.NestedSlice(view.Object, "status", "loadBalancer", "ingress")
	if len(ingress) != 1 || ingress[0].(map[string]any)["ip"] != "192.0.2.6" {
		t.Errorf("the view of the cached version has the ingress points %v, want 192.0.2.6 alone", ingress)
	}
}

// Owned finds an Application's objects by the tracking the caller asks
// for, through one index of both trackings: an object whose label names
// another Application than its tracking-id is found under each by its
// own tracking only, and the events of the watch carry what the cache
// keeps.
func testOwned(ctx context.Context, t *testing.T, e *testenv.Env) {
	admin := kubernetes.NewForConfigOrDie(e.Config())
	live, err := NewLive(ctx, e.Config(), "app.kubernetes.io/instance", nil)
	if err != nil {
		t.Fatal(err)
	}
	gvr := corev1.SchemeGroupVersion.WithResource("configmaps")
	if err := live.Watch(ctx, gvr, corev1.SchemeGroupVersion.WithKind("ConfigMap"), true); err != nil {
		t.Fatal(err)
	}
	made := map[string]bool{}
	for _, o := range []struct{ name, trackedBy, labelledBy string }{
		{"both", "web", "web"},
		{"apart", "web", "legacy"},
		{"label-only", "", "legacy"},
		{"id-only", "web", ""},
		{"neither", "", ""},
	} {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: o.name, Namespace: "default",
			Labels: map[string]string{v1alpha1.LabelCapstanManaged: "true"}, Annotations: map[string]string{"other": o.name}}}
		if o.trackedBy != "" {
			cm.Annotations[v1alpha1.AnnotationTrackingID] = o.trackedBy + ":/ConfigMap:default/" + o.name
		}
		if o.labelledBy != "" {
			cm.Labels["app.kubernetes.io/instance"] = o.labelledBy
		}
		if _, err := admin.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		made[o.name] = true
	}
	for len(made) > 0 {
		select {
		case ev := <-live.Events():
			if ev.Object.Namespace == "default" && made[ev.Object.Name] {
				if v, ok := ev.Object.Annotation("other"); !ok || v != ev.Object.Name {
					t.Errorf("event of %s: annotation other = %q", ev.Object.Name, v)
				}
				delete(made, ev.Object.Name)
			}
		case <-ctx.Done():
			t.Fatalf("no watch event of %v", made)
		}
	}
	for _, tc := range []struct {
		app     string
		byLabel bool
		want    []string
	}{
		{"web", false, []string{"apart", "both", "id-only"}},
		{"web", true, []string{"both"}},
		{"legacy", true, []string{"apart", "label-only"}},
		{"legacy", false, nil},
		{"nobody", false, nil},
	} {
		if got := ownedNames(live, gvr, tc.app, tc.byLabel); !slices.Equal(got, tc.want) {
			t.Errorf("Owned(%s, by label %t) = %v, want %v", tc.app, tc.byLabel, got, tc.want)
		}
	}
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
	if !found || got.GetUID() != created.UID {
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
