package bench

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// slim keeps capstan's managedFields entries, which the restart compares
// to tell a written object, and the fields asked for; it drops the rest.
func TestSlimKeepsCapstansEntries(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "app-1", "resourceVersion": "7"},
		"spec":     map[string]any{"replicas": int64(2), "template": map[string]any{}},
		"status": map[string]any{"conditions": []any{
			map[string]any{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
		}},
	}}
	u.SetManagedFields([]metav1.ManagedFieldsEntry{
		{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status"},
		{Manager: capstanManager, Operation: metav1.ManagedFieldsOperationApply, FieldsType: "FieldsV1",
			FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:replicas":{}}}`)}},
	})
	out, err := slim([][]string{{"spec", "replicas"}, {"status", "conditions"}})(u)
	if err != nil {
		t.Fatal(err)
	}
	s := out.(*unstructured.Unstructured)
	if got, want := managedBy(s, capstanManager), managedBy(u, capstanManager); got != want || got == "null" {
		t.Errorf("capstan's entries kept: %s, want %s", got, want)
	}
	if n := len(s.GetManagedFields()); n != 1 {
		t.Errorf("%d managedFields entries kept, want capstan's alone", n)
	}
	if r, _, _ := unstructured.NestedInt64(s.Object, "spec", "replicas"); r != 2 {
		t.Errorf("spec.replicas kept = %d, want 2", r)
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(s.Object, "spec", "template"); found {
		t.Error("spec.template kept, want it dropped")
	}
	conds, _, _ := unstructured.NestedSlice(s.Object, "status", "conditions")
	if len(conds) != 1 || len(conds[0].(map[string]any)) != 2 {
		t.Errorf("conditions kept: %v, want the type and status of one", conds)
	}
}
