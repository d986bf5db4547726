package application

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/apply"
	"github.com/capstan-cd/capstan/internal/cluster"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// A restarted controller takes back its predecessor's verdict on an
// object only for the desired object the status recorded it for. A
// predecessor that applied a new render, adding a field, and stopped
// before it wrote the status left the owned fields of the old one; if
// another writer then took the new field, capstan owns exactly those
// fields again, and the object, stamped with the new render, looks
// applied. It is not in sync, and must be compared.
func TestRestoreHoldsOnlyForTheDesiredObjectRecorded(t *testing.T) {
	configMap := func(data map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "settings", "namespace": "team"}, "data": data}}
	}
	before := configMap(map[string]any{"a": "1"})
	after := configMap(map[string]any{"a": "1", "b": "2"})
	// What capstan's apply owns once another writer took data.b: the
	// fields of before.
	managed := []metav1.ManagedFieldsEntry{{Manager: apply.FieldManager, Operation: metav1.ManagedFieldsOperationApply,
		APIVersion: "v1", FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:data":{"f:a":{}}}`)}}}
	owned := apply.OwnedFields(managed)
	if owned == "" {
		t.Fatal("no digest of the owned fields")
	}
	// The object as the watch's cache keeps it: of its managed fields,
	// the digest of capstan's.
	live := func(desired *unstructured.Unstructured) *cluster.Meta {
		return cluster.MetaOf(&metav1.ObjectMeta{Name: "settings", Namespace: "team", UID: "u1",
			ResourceVersion: "7", ManagedFields: managed,
			Labels:      map[string]string{v1alpha1.LabelCapstanManaged: "true", tracking.DefaultLabelKey: "web"},
			Annotations: map[string]string{v1alpha1.AnnotationCapstanApplied: apply.Stamp(desired).GetAnnotations()[v1alpha1.AnnotationCapstanApplied]}})
	}
	for _, tc := range []struct {
		name             string
		recorded, now    *unstructured.Unstructured
		wantVerdictTaken bool
	}{
		{"the desired object recorded", before, before, true},
		{"a desired object applied after the status was written", before, after, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "argocd"}}
			app.Status.Resources = []v1alpha1.ResourceStatus{{Version: "v1", Kind: "ConfigMap", Namespace: "team", Name: "settings",
				OwnedFields: boundOwned(hashObject(tc.recorded), owned)}}
			st := &state{app: app, policy: tracking.Policy{Method: tracking.MethodLabel}}
			if got := live(tc.now).OwnedFields; got != owned {
				t.Fatalf("the watch's digest of the owned fields = %q, want %q", got, owned)
			}
			r := &Reconciler{}
			r.restore(st, tc.now, "key", hashObject(tc.now), live(tc.now))
			v, taken := r.verdicts.get(appKey(app), st.server(), "key")
			if taken != tc.wantVerdictTaken {
				t.Fatalf("verdict taken back: %v, want %v", taken, tc.wantVerdictTaken)
			}
			if taken && (v.owned != owned || !v.desiredHash.is(hashObject(tc.now)) || v.modified) {
				t.Errorf("verdict %+v, want in sync, owning %s, for the desired object now", v, owned)
			}
		})
	}
}
