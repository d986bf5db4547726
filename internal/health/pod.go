package health

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// waitingDegraded are container waiting reasons that will not resolve by
// themselves.
var waitingDegraded = map[string]bool{
	"CrashLoopBackOff":           true,
	"ErrImagePull":               true,
	"ImagePullBackOff":           true,
	"InvalidImageName":           true,
	"CreateContainerConfigError": true,
	"CreateContainerError":       true,
	"RunContainerError":          true,
}

func pod(obj *unstructured.Unstructured) (*Status, error) {
	p, err := convert[corev1.Pod](obj)
	if err != nil {
		return nil, err
	}
	statuses := append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...)
	for _, s := range statuses {
		if w := s.State.Waiting; w != nil && (waitingDegraded[w.Reason] || strings.HasPrefix(w.Reason, "Err")) {
			return degraded(w.Message), nil
		}
	}
	switch p.Status.Phase {
	case corev1.PodPending:
		return progressing(p.Status.Message), nil
	case corev1.PodSucceeded:
		return healthy(p.Status.Message), nil
	case corev1.PodFailed:
		msg := p.Status.Message
		if msg == "" {
			for _, s := range statuses {
				if t := s.State.Terminated; t != nil && t.ExitCode != 0 {
					msg = t.Message
					break
				}
			}
		}
		return degraded(msg), nil
	case corev1.PodRunning:
		if p.Spec.RestartPolicy != corev1.RestartPolicyAlways && p.Spec.RestartPolicy != "" {
			// A run-to-completion Pod is healthy only once it has succeeded.
			return progressing(p.Status.Message), nil
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				return healthy(p.Status.Message), nil
			}
		}
		return progressing(p.Status.Message), nil
	}
	return &Status{Code: v1alpha1.HealthStatusUnknown, Message: p.Status.Message}, nil
}
