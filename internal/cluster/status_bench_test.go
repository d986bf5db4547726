package cluster

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// decodedDeployment is a W1 Deployment, Available, as its watch decodes it
// from protobuf: every string a copy of its own.
func decodedDeployment(b *testing.B, app string, i int) *appsv1.Deployment {
	ns, name := fmt.Sprintf("w1-%04d", i), app+"-deployment"
	at := metav1.NewTime(time.Date(2026, 12, 4, 22, 0, i%60, 0, time.UTC))
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID(fmt.Sprintf("4f0c5e8a-1d2b-4c3d-9e8f-%012d", i)),
			ResourceVersion: fmt.Sprint(100000 + i), Generation: 1,
			Labels: map[string]string{"capstan.dev/managed": "true", "app.kubernetes.io/instance": app},
			Annotations: map[string]string{"argocd.argoproj.io/tracking-id": app + ":apps/Deployment:" + ns + "/" + name,
				"capstan.dev/applied": fmt.Sprintf("%032x", i), "deployment.kubernetes.io/revision": "1"}},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.invalid/app:1.0"}}}}},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 1, UpdatedReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1,
			Conditions: []appsv1.DeploymentCondition{
				{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable",
					Message: "Deployment has minimum availability.", LastUpdateTime: at, LastTransitionTime: at},
				{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable",
					Message: fmt.Sprintf("ReplicaSet %q has successfully progressed.", name+"-5d8f9c7b4"), LastUpdateTime: at, LastTransitionTime: at}}},
	}
	data, err := d.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	out := &appsv1.Deployment{}
	if err := out.Unmarshal(data); err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkHealthViewHeld reports the heap that the watch of Deployments
// holds per Deployment of W1's shape (B/object): the metadata its cache
// keeps and the health view kept beside it, once each Deployment has one.
func BenchmarkHealthViewHeld(b *testing.B) {
	const deployments = 2000
	var held []any
	var l *Live
	for b.Loop() {
		held, l = nil, &Live{}
		bytes := heldBy(b, func() {
			held = make([]any, 0, deployments)
			for i := range deployments {
				out, err := l.keepHealth(decodedDeployment(b, fmt.Sprintf("app-%04d", i), i))
				if err != nil {
					b.Fatal(err)
				}
				held = append(held, out)
			}
		})
		// Less the slice that keeps the metadata, which no cache has.
		b.ReportMetric(float64(bytes-uint64(cap(held))*16)/deployments, "B/object")
	}
	runtime.KeepAlive(held)
	runtime.KeepAlive(l)
}
