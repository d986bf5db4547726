package apply

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func object(apiVersion, kind string, annotations map[string]any) *unstructured.Unstructured {
	meta := map[string]any{"name": "x", "namespace": "web"}
	if annotations != nil {
		meta["annotations"] = annotations
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": apiVersion, "kind": kind, "metadata": meta, "data": map[string]any{"k": "v"},
	}}
}

func TestStamp(t *testing.T) {
	plain := object("v1", "ConfigMap", nil)
	digest := Digest(plain)
	for _, tc := range []struct {
		name string
		obj  *unstructured.Unstructured
		want map[string]string
	}{
		{"a ConfigMap gets its digest", plain, map[string]string{v1alpha1.AnnotationCapstanApplied: digest}},
		{"a stamp in the manifest is replaced", object("v1", "ConfigMap", map[string]any{v1alpha1.AnnotationCapstanApplied: "forged"}),
			map[string]string{v1alpha1.AnnotationCapstanApplied: digest}},
		{"other annotations stay", object("v1", "ConfigMap", map[string]any{"team": "blue"}),
			map[string]string{"team": "blue", v1alpha1.AnnotationCapstanApplied: Digest(object("v1", "ConfigMap", map[string]any{"team": "blue"}))}},
		{"a Secret gets none", object("v1", "Secret", nil), nil},
		{"nor keeps one from its manifest", object("v1", "Secret", map[string]any{v1alpha1.AnnotationCapstanApplied: "forged"}), nil},
		{"a Secret of another group is no Secret", object("example.com/v1", "Secret", nil),
			map[string]string{v1alpha1.AnnotationCapstanApplied: Digest(object("example.com/v1", "Secret", nil))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.obj.DeepCopy()
			got := Stamp(tc.obj).GetAnnotations()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, tc.obj); diff != "" {
				t.Errorf("Stamp changed its input (-before +after):\n%s", diff)
			}
		})
	}
	changed := object("v1", "ConfigMap", nil)
	changed.Object["data"] = map[string]any{"k": "w"}
	if Digest(changed) == digest {
		t.Error("two objects with different data have the same digest")
	}
}
