package application

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/capstan-cd/capstan/internal/apply"
)

func managed(entries ...metav1.ManagedFieldsEntry) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap"}}
	u.SetUID("u1")
	u.SetManagedFields(entries)
	return u
}

func entry(manager string, op metav1.ManagedFieldsOperationType, fields string) metav1.ManagedFieldsEntry {
	return metav1.ManagedFieldsEntry{Manager: manager, Operation: op, APIVersion: "v1", FieldsV1: &metav1.FieldsV1{Raw: []byte(fields)}}
}

func TestOwnedFields(t *testing.T) {
	const both = `{"f:data":{"f:a":{},"f:b":{}}}`
	applied := ownedFields(managed(entry(apply.FieldManager, metav1.ManagedFieldsOperationApply, both)))
	if applied == "" {
		t.Fatal("capstan's apply entry gives no digest")
	}
	later := entry(apply.FieldManager, metav1.ManagedFieldsOperationApply, both)
	later.Time = &metav1.Time{}
	for _, tc := range []struct {
		name string
		live *unstructured.Unstructured
		want string
	}{
		{"the same fields, another time", managed(later, entry("kubectl-edit", metav1.ManagedFieldsOperationUpdate, `{"f:data":{"f:c":{}}}`)), applied},
		{"a field taken away", managed(entry(apply.FieldManager, metav1.ManagedFieldsOperationApply, `{"f:data":{"f:a":{}}}`),
			entry("kubectl-edit", metav1.ManagedFieldsOperationUpdate, `{"f:data":{"f:b":{}}}`)), "x"},
		{"capstan also updated it", managed(entry(apply.FieldManager, metav1.ManagedFieldsOperationApply, both),
			entry(apply.FieldManager, metav1.ManagedFieldsOperationUpdate, `{"f:metadata":{}}`)), ""},
		{"capstan never applied it", managed(entry("kubectl", metav1.ManagedFieldsOperationApply, both)), ""},
		{"no managed fields", managed(), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ownedFields(tc.live)
			if tc.want == "x" {
				if got == applied || got == "" {
					t.Errorf("ownedFields = %q, want another digest than %q", got, applied)
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ownedFields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOwnershipDecides(t *testing.T) {
	cm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{"a": "1"}}}
	withStatus := cm.DeepCopy()
	withStatus.Object["status"] = map[string]any{}
	role := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "aggregationRule": map[string]any{}}}
	live := managed()
	applied := verdict{owned: "d", uid: live.GetUID()}
	for _, tc := range []struct {
		name    string
		v       verdict
		desired *unstructured.Unstructured
		plain   bool
		want    bool
	}{
		{"applied, in sync", applied, cm, true, true},
		{"ignoreDifferences rules", applied, cm, false, false},
		{"not recorded after an apply", verdict{uid: live.GetUID()}, cm, true, false},
		{"out of sync already", verdict{owned: "d", uid: live.GetUID(), modified: true}, cm, true, false},
		{"shared", verdict{owned: "d", uid: live.GetUID(), shared: true}, cm, true, false},
		{"re-created", verdict{owned: "d", uid: types.UID("other")}, cm, true, false},
		{"desired status", applied, withStatus, true, false},
		{"aggregated ClusterRole", applied, role, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ownershipDecides(tc.v, tc.desired, live, tc.plain)); diff != "" {
				t.Errorf("ownershipDecides (-want +got):\n%s", diff)
			}
		})
	}
}
