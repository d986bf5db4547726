package health

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func pvc(obj *unstructured.Unstructured) (*Status, error) {
	p, err := convert[corev1.PersistentVolumeClaim](obj)
	if err != nil {
		return nil, err
	}
	switch p.Status.Phase {
	case corev1.ClaimLost:
		return degraded("the claim lost its volume"), nil
	case corev1.ClaimBound:
		return healthy(""), nil
	}
	return progressing("Waiting for the claim to be bound"), nil
}

// hpa reads the conditions of any autoscaling version: a False condition
// whose reason says something failed means the autoscaler cannot work.
func hpa(obj *unstructured.Unstructured) (*Status, error) {
	for _, c := range conditions(obj) {
		if c.status == "False" && (strings.HasPrefix(c.reason, "Failed") || c.kind == "AbleToScale") {
			return degraded(c.message), nil
		}
	}
	return healthy(""), nil
}

func apiService(obj *unstructured.Unstructured) (*Status, error) {
	for _, c := range conditions(obj) {
		if c.kind == "Available" {
			if c.status == "True" {
				return healthy(c.message), nil
			}
			return progressing(c.message), nil
		}
	}
	return progressing("Waiting for the APIService to become available"), nil
}

func crd(obj *unstructured.Unstructured) (*Status, error) {
	for _, c := range conditions(obj) {
		if c.kind == "NamesAccepted" && c.status == "False" {
			return degraded(c.message), nil
		}
		if c.kind == "Established" && c.status == "True" {
			return healthy(""), nil
		}
	}
	return progressing("Waiting for the CRD to be established"), nil
}

// application gives a child Application no health of its own: its
// health is not its parent's concern, unless an installation customizes
// the health of argoproj.io/Application (see Checks).
func application(*unstructured.Unstructured) (*Status, error) { return nil, nil }
