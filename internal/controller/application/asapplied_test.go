package application

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/apply"
)

// TestAsApplied: an object whose every field capstan's apply owns, with
// the digest of the desired object, is as applied; a Secret, which
// carries no digest, never is.
func TestAsApplied(t *testing.T) {
	desired := func(kind string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": kind,
			"metadata": map[string]any{"name": "x", "namespace": "web", "labels": map[string]any{v1alpha1.LabelCapstanManaged: "true"}},
			"data":     map[string]any{"k": "dg=="},
		}}
	}
	live := func(obj *unstructured.Unstructured, fields string) *unstructured.Unstructured {
		l := apply.Stamp(obj).DeepCopy()
		l.SetManagedFields([]metav1.ManagedFieldsEntry{{
			Manager: apply.FieldManager, Operation: metav1.ManagedFieldsOperationApply, APIVersion: "v1",
			FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(fields)},
		}})
		return l
	}
	const labels = `"f:labels":{"f:` + v1alpha1.LabelCapstanManaged + `":{}}`
	const all = `{"f:data":{"f:k":{}},"f:metadata":{` + labels + `,"f:annotations":{"f:` + v1alpha1.AnnotationCapstanApplied + `":{}}}}`
	const noStamp = `{"f:data":{"f:k":{}},"f:metadata":{` + labels + `}}`
	for _, tc := range []struct {
		name          string
		desired, live *unstructured.Unstructured
		want          bool
	}{
		{"owned and stamped", desired("ConfigMap"), live(desired("ConfigMap"), all), true},
		{"a field taken by another manager", desired("ConfigMap"), live(desired("ConfigMap"), `{"f:metadata":{`+labels+`,"f:annotations":{"f:`+v1alpha1.AnnotationCapstanApplied+`":{}}}}`), false},
		{"another desired state", desired("ConfigMap"), live(&unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "x", "namespace": "web", "labels": map[string]any{v1alpha1.LabelCapstanManaged: "true"}},
			"data": map[string]any{"k": "other"},
		}}, all), false},
		{"a Secret", desired("Secret"), live(desired("Secret"), noStamp), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := asApplied(tc.desired, tc.live); got != tc.want {
				t.Errorf("asApplied = %v, want %v", got, tc.want)
			}
		})
	}
}
