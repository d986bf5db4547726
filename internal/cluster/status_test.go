package cluster

import (
	"fmt"
	goruntime "runtime"
	"testing"
	"time"
	"weak"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/capstan-cd/capstan/internal/health"
)

func version(rv int) *healthView {
	return &healthView{meta: &Meta{ResourceVersion: fmt.Sprint(rv)}, body: &deploymentBody{status: appsv1.DeploymentStatus{ObservedGeneration: int64(rv)}}}
}

// The cache's version may lag the last received: its view is found among
// the last few, the older ones are then dropped, and a version that fell
// out, or a Deployment gone, has none.
func TestHealthViewsFollowTheCachedVersion(t *testing.T) {
	var h healthViews
	web := viewKey(deploymentsResource, "ns", "web")
	for rv := 1; rv <= viewsKept+1; rv++ {
		h.put(web, version(rv))
	}
	if h.get(web, "1") != nil {
		t.Errorf("version 1 still has a view after %d newer ones", viewsKept)
	}
	if v := h.get(web, "3"); v == nil || v.body.(*deploymentBody).status.ObservedGeneration != 3 {
		t.Fatalf("view of version 3 = %v", v)
	}
	if h.get(web, "2") != nil {
		t.Errorf("version 2 kept after version 3 was asked for")
	}
	// Forgotten, the older views are garbage, not only out of sight. The
	// view is made in a function of its own, so that no variable of this
	// one holds it.
	older := func() weak.Pointer[healthView] {
		v := version(0)
		h.put(web, v)
		return weak.Make(v)
	}()
	h.put(web, version(viewsKept+3))
	if h.get(web, fmt.Sprint(viewsKept+3)) == nil {
		t.Fatal("the newest version has no view")
	}
	goruntime.GC()
	if older.Value() != nil {
		t.Error("a view forgotten by get is still alive")
	}
	h.put(web, version(viewsKept+2))
	if v := h.get(web, fmt.Sprint(viewsKept+2)); v == nil {
		t.Errorf("the newest version has no view")
	}
	if h.get(viewKey(deploymentsResource, "ns", "other"), "3") != nil {
		t.Errorf("another Deployment has a view")
	}
	if h.get(viewKey(statefulSetsResource, "ns", "web"), fmt.Sprint(viewsKept+2)) != nil {
		t.Errorf("a StatefulSet has the view of the Deployment of the same name")
	}
	h.remove(web, &Meta{})
	if h.get(web, fmt.Sprint(viewsKept+2)) != nil {
		t.Errorf("a view is kept of a Deployment gone")
	}

	// A Deployment deleted and made again under the same name: the
	// deletion, taken by the cache after the new one's first version was
	// received, forgets the old one's views alone.
	old, remade := version(10), version(11)
	old.meta.SetUID("1b4e28ba-2fa1-11d2-883f-0016d3cca427")
	remade.meta.SetUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	h.put(web, old)
	h.put(web, remade)
	gone := &Meta{}
	gone.SetUID("1b4e28ba-2fa1-11d2-883f-0016d3cca427")
	h.remove(web, gone)
	if h.get(web, "11") == nil {
		t.Errorf("the deletion of a Deployment forgot the views of the one made again in its place")
	}
}

// Each workload's view gives back, as the health check reads it, its
// kind, generation, the spec fields the check reads and its status, its
// conditions without their messages and times, and nothing of its
// template; the health assessed from it is the whole
// object's; the cache gets the metadata alone.
func TestHealthViewsKeepWhatTheChecksRead(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "u1", ResourceVersion: "7", Generation: 2,
		Labels: map[string]string{"app": "web"}}
	template := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "registry.invalid/web:1.0"}}}}
	since := metav1.Date(2026, 12, 4, 22, 0, 0, 0, time.UTC)
	partition := appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType,
		RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](1)}}
	for _, tc := range []struct {
		obj  any
		gvr  string
		want map[string]any
	}{
		{&corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}, "services",
			map[string]any{"apiVersion": "v1", "kind": "Service", "spec": map[string]any{"type": "LoadBalancer"},
				"status": map[string]any{"loadBalancer": map[string]any{}}}},
		{&corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer},
			Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "192.0.2.1"}}}}}, "services",
			map[string]any{"apiVersion": "v1", "kind": "Service", "spec": map[string]any{"type": "LoadBalancer"},
				"status": map[string]any{"loadBalancer": map[string]any{"ingress": []any{map[string]any{"ip": "192.0.2.1"}}}}}},
		{&appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](2), Paused: true, Template: template},
			Status: appsv1.DeploymentStatus{ObservedGeneration: 2, UpdatedReplicas: 1}}, "deployments",
			map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "spec": map[string]any{"replicas": int64(2), "paused": true},
				"status": map[string]any{"observedGeneration": int64(2), "updatedReplicas": int64(1)}}},
		{&appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](1), Template: template},
			Status: appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 1, UpdatedReplicas: 1, Conditions: []appsv1.DeploymentCondition{
				{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionFalse, Reason: "MinimumReplicasUnavailable",
					Message: "Deployment does not have minimum availability.", LastUpdateTime: since, LastTransitionTime: since},
				{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded",
					Message: `ReplicaSet "web-5d8f9c" has timed out progressing.`, LastUpdateTime: since, LastTransitionTime: since}}}}, "deployments",
			map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "spec": map[string]any{"replicas": int64(1)},
				"status": map[string]any{"observedGeneration": int64(2), "replicas": int64(1), "updatedReplicas": int64(1), "conditions": []any{
					map[string]any{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable", "lastUpdateTime": nil, "lastTransitionTime": nil},
					map[string]any{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "lastUpdateTime": nil, "lastTransitionTime": nil}}}}},
		{&appsv1.StatefulSet{ObjectMeta: meta, Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](3), UpdateStrategy: partition, Template: template},
			Status: appsv1.StatefulSetStatus{ObservedGeneration: 2, ReadyReplicas: 3, UpdateRevision: "r2", CurrentRevision: "r1",
				Conditions: []appsv1.StatefulSetCondition{{Type: "Stuck", Status: corev1.ConditionTrue, Reason: "NoQuota",
					Message: "pod web-2 has no quota", LastTransitionTime: since}}}}, "statefulsets",
			map[string]any{"apiVersion": "apps/v1", "kind": "StatefulSet",
				"spec": map[string]any{"replicas": int64(3), "updateStrategy": map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{"partition": int64(1)}}},
				"status": map[string]any{"observedGeneration": int64(2), "readyReplicas": int64(3), "replicas": int64(0), "availableReplicas": int64(0),
					"updateRevision": "r2", "currentRevision": "r1",
					"conditions": []any{map[string]any{"type": "Stuck", "status": "True", "reason": "NoQuota", "lastTransitionTime": nil}}}}},
		{&appsv1.DaemonSet{ObjectMeta: meta, Spec: appsv1.DaemonSetSpec{UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.OnDeleteDaemonSetStrategyType}, Template: template},
			Status: appsv1.DaemonSetStatus{ObservedGeneration: 2, DesiredNumberScheduled: 2, NumberAvailable: 1,
				Conditions: []appsv1.DaemonSetCondition{{Type: "Stuck", Status: corev1.ConditionTrue, Reason: "NoQuota",
					Message: "pod web-x has no quota", LastTransitionTime: since}}}}, "daemonsets",
			map[string]any{"apiVersion": "apps/v1", "kind": "DaemonSet", "spec": map[string]any{"updateStrategy": map[string]any{"type": "OnDelete"}},
				"status": map[string]any{"observedGeneration": int64(2), "desiredNumberScheduled": int64(2), "numberAvailable": int64(1),
					"currentNumberScheduled": int64(0), "numberMisscheduled": int64(0), "numberReady": int64(0),
					"conditions": []any{map[string]any{"type": "Stuck", "status": "True", "reason": "NoQuota", "lastTransitionTime": nil}}}}},
	} {
		t.Run(tc.gvr, func(t *testing.T) {
			whole, err := runtime.DefaultUnstructuredConverter.ToUnstructured(tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			l := &Live{}
			cached, err := l.keepHealth(tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			m, ok := cached.(*Meta)
			if !ok || m.Name != "web" || m.ResourceVersion != "7" || m.Labels["app"] != "web" {
				t.Fatalf("the cache got %#v, want the metadata alone", cached)
			}
			gv := appsv1.SchemeGroupVersion
			if tc.gvr == "services" {
				gv = corev1.SchemeGroupVersion
			}
			view, ok := l.HealthView(gv.WithResource(tc.gvr), "ns", "web", "7")
			if !ok {
				t.Fatal("no view of the version the cache holds")
			}
			// The spec's other fields are the typed object's zero values.
			spec := map[string]any{}
			for k := range tc.want["spec"].(map[string]any) {
				if v, ok, _ := unstructured.NestedFieldNoCopy(view.Object, "spec", k); ok {
					spec[k] = v
				}
			}
			got := map[string]any{"apiVersion": view.GetAPIVersion(), "kind": view.GetKind(), "spec": spec, "status": view.Object["status"]}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("the view (-want +got):\n%s", diff)
			}
			if view.GetGeneration() != 2 || view.GetUID() != "u1" {
				t.Errorf("the view's generation %d, uid %q", view.GetGeneration(), view.GetUID())
			}
			if containers, _, _ := unstructured.NestedSlice(view.Object, "spec", "template", "spec", "containers"); len(containers) > 0 {
				t.Errorf("the view keeps the pod template's containers: %v", containers)
			}
			u := &unstructured.Unstructured{Object: whole}
			u.SetGroupVersionKind(view.GroupVersionKind())
			fromWhole, err := health.Of(u)
			if err != nil {
				t.Fatal(err)
			}
			fromView, err := health.Of(view)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(fromWhole, fromView); diff != "" {
				t.Errorf("the health from the view (-whole object +view):\n%s", diff)
			}
		})
	}
}

// Workloads whose conditions differ only in what a view drops (messages,
// times) share one list; a list that differs in what it keeps has its own.
func TestViewsShareTheirConditions(t *testing.T) {
	progressing := func(reason, message string, at metav1.Time) []appsv1.DeploymentCondition {
		return []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable",
				Message: "Deployment has minimum availability.", LastUpdateTime: at, LastTransitionTime: at},
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: reason, Message: message, LastUpdateTime: at},
		}
	}
	now := metav1.NewTime(time.Unix(1700000000, 0))
	a := keepDeploymentConditions(progressing("NewReplicaSetAvailable", `ReplicaSet "a-1" has successfully progressed.`, now))
	b := keepDeploymentConditions(progressing("NewReplicaSetAvailable", `ReplicaSet "b-2" has successfully progressed.`, metav1.NewTime(now.Add(time.Hour))))
	c := keepDeploymentConditions(progressing("ReplicaSetUpdated", `ReplicaSet "a-2" is progressing.`, now))
	if len(a) != 2 || &a[0] != &b[0] {
		t.Errorf("two lists that differ in messages and times are not shared: %p, %p", a, b)
	}
	if &a[0] == &c[0] || c[1].Reason != "ReplicaSetUpdated" {
		t.Errorf("a list with another reason was given %v", c)
	}
	want := appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable"}
	if diff := cmp.Diff(want, a[1]); diff != "" {
		t.Errorf("the kept condition (-want +got):\n%s", diff)
	}
	// The kind is part of what is shared: a StatefulSet's list of the
	// same content is its own.
	s := keepStatefulSetConditions([]appsv1.StatefulSetCondition{{Type: "Available", Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable"}})
	d := keepDaemonSetConditions([]appsv1.DaemonSetCondition{{Type: "Available", Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable"}})
	if len(s) != 1 || len(d) != 1 || s[0].Reason != "MinimumReplicasAvailable" || d[0].Reason != "MinimumReplicasAvailable" {
		t.Errorf("kept %v and %v", s, d)
	}
	if keepDeploymentConditions(nil) != nil {
		t.Error("no conditions were kept as a list")
	}
}
