package server

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// listOptions lists every object of a kind in a namespace: the tree
// keeps those a tracked object owns.
func listOptions() metav1.ListOptions { return metav1.ListOptions{} }

// summary is the short description the tree shows on a node, as Argo CD
// gives it: a Pod's state, ready containers and restarts, a ReplicaSet's
// revision; and the images a Pod runs.
func summary(obj *unstructured.Unstructured) ([]infoItem, []string) {
	switch obj.GroupVersionKind().GroupKind().String() {
	case "Pod":
		return podSummary(obj)
	case "ReplicaSet.apps":
		if rev := obj.GetAnnotations()["deployment.kubernetes.io/revision"]; rev != "" {
			return []infoItem{{Name: "Revision", Value: "Rev:" + rev}}, nil
		}
	}
	return nil, nil
}

func podSummary(obj *unstructured.Unstructured) ([]infoItem, []string) {
	reason, _, _ := unstructured.NestedString(obj.Object, "status", "reason")
	if reason == "" {
		reason, _, _ = unstructured.NestedString(obj.Object, "status", "phase")
	}
	containers, _, _ := unstructured.NestedSlice(obj.Object, "spec", "containers")
	statuses, _, _ := unstructured.NestedSlice(obj.Object, "status", "containerStatuses")
	ready, restarts := 0, int64(0)
	for _, s := range statuses {
		m, _ := s.(map[string]any)
		if ok, _ := m["ready"].(bool); ok {
			ready++
		}
		switch n := m["restartCount"].(type) {
		case int64:
			restarts += n
		case float64:
			restarts += int64(n)
		}
	}
	var images []string
	for _, c := range containers {
		m, _ := c.(map[string]any)
		if img, ok := m["image"].(string); ok {
			images = append(images, img)
		}
	}
	info := []infoItem{
		{Name: "Status Reason", Value: reason},
		{Name: "Containers", Value: fmt.Sprintf("%d/%d", ready, len(containers))},
	}
	if restarts > 0 {
		info = append(info, infoItem{Name: "Restart Count", Value: fmt.Sprint(restarts)})
	}
	return info, images
}
