package health

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func deployment(obj *unstructured.Unstructured) (*Status, error) {
	d, err := convert[appsv1.Deployment](obj)
	if err != nil {
		return nil, err
	}
	if d.Spec.Paused {
		return suspended("Deployment is paused"), nil
	}
	if d.Generation > d.Status.ObservedGeneration {
		return progressing("Waiting for rollout to finish: observed deployment generation less than desired generation"), nil
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded" {
			return degraded(fmt.Sprintf("Deployment %q exceeded its progress deadline", d.Name)), nil
		}
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := d.Status
	switch {
	case s.UpdatedReplicas < want:
		return progressing(fmt.Sprintf("Waiting for rollout to finish: %d out of %d new replicas have been updated...", s.UpdatedReplicas, want)), nil
	case s.Replicas > s.UpdatedReplicas:
		return progressing(fmt.Sprintf("Waiting for rollout to finish: %d old replicas are pending termination...", s.Replicas-s.UpdatedReplicas)), nil
	case s.AvailableReplicas < s.UpdatedReplicas:
		return progressing(fmt.Sprintf("Waiting for rollout to finish: %d of %d updated replicas are available...", s.AvailableReplicas, s.UpdatedReplicas)), nil
	}
	return healthy(""), nil
}

func statefulSet(obj *unstructured.Unstructured) (*Status, error) {
	s, err := convert[appsv1.StatefulSet](obj)
	if err != nil {
		return nil, err
	}
	if s.Status.ObservedGeneration == 0 || s.Generation > s.Status.ObservedGeneration {
		return progressing("Waiting for statefulset spec update to be observed..."), nil
	}
	if s.Spec.Replicas != nil && s.Status.ReadyReplicas < *s.Spec.Replicas {
		return progressing(fmt.Sprintf("Waiting for %d pods to be ready...", *s.Spec.Replicas-s.Status.ReadyReplicas)), nil
	}
	if s.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
		return healthy(fmt.Sprintf("statefulset has %d ready pods", s.Status.ReadyReplicas)), nil
	}
	if ru := s.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil && s.Spec.Replicas != nil {
		if want := *s.Spec.Replicas - *ru.Partition; s.Status.UpdatedReplicas < want {
			return progressing(fmt.Sprintf("Waiting for partitioned roll out to finish: %d out of %d new pods have been updated...", s.Status.UpdatedReplicas, want)), nil
		}
		return healthy(fmt.Sprintf("partitioned roll out complete: %d new pods have been updated...", s.Status.UpdatedReplicas)), nil
	}
	if s.Status.UpdateRevision != s.Status.CurrentRevision {
		return progressing(fmt.Sprintf("waiting for statefulset rolling update to complete %d pods at revision %s...", s.Status.UpdatedReplicas, s.Status.UpdateRevision)), nil
	}
	return healthy(fmt.Sprintf("statefulset rolling update complete %d pods at revision %s...", s.Status.CurrentReplicas, s.Status.CurrentRevision)), nil
}

func daemonSet(obj *unstructured.Unstructured) (*Status, error) {
	d, err := convert[appsv1.DaemonSet](obj)
	if err != nil {
		return nil, err
	}
	s := d.Status
	if d.Generation > s.ObservedGeneration {
		return progressing("Waiting for rollout to finish: observed daemon set generation less than desired generation"), nil
	}
	if d.Spec.UpdateStrategy.Type == appsv1.OnDeleteDaemonSetStrategyType {
		return healthy(fmt.Sprintf("daemon set %d out of %d new pods have been updated", s.UpdatedNumberScheduled, s.DesiredNumberScheduled)), nil
	}
	if s.UpdatedNumberScheduled < s.DesiredNumberScheduled {
		return progressing(fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d out of %d new pods have been updated...", d.Name, s.UpdatedNumberScheduled, s.DesiredNumberScheduled)), nil
	}
	if s.NumberAvailable < s.DesiredNumberScheduled {
		return progressing(fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d of %d updated pods are available...", d.Name, s.NumberAvailable, s.DesiredNumberScheduled)), nil
	}
	return healthy(""), nil
}

func replicaSet(obj *unstructured.Unstructured) (*Status, error) {
	r, err := convert[appsv1.ReplicaSet](obj)
	if err != nil {
		return nil, err
	}
	if r.Generation > r.Status.ObservedGeneration {
		return progressing("Waiting for rollout to finish: observed replica set generation less than desired generation"), nil
	}
	for _, c := range r.Status.Conditions {
		if c.Type == appsv1.ReplicaSetReplicaFailure && c.Status == corev1.ConditionTrue {
			return degraded(c.Message), nil
		}
	}
	if r.Spec.Replicas != nil && r.Status.AvailableReplicas < *r.Spec.Replicas {
		return progressing(fmt.Sprintf("Waiting for rollout to finish: %d out of %d new replicas are available...", r.Status.AvailableReplicas, *r.Spec.Replicas)), nil
	}
	return healthy(""), nil
}
