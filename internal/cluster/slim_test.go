package cluster

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSlimKeepsWhatCapstanReads(t *testing.T) {
	in := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{
		Name: "web", Namespace: "shop", ResourceVersion: "42", UID: "u1",
		Labels:        map[string]string{"capstan.dev/managed": "true"},
		Annotations:   map[string]string{"argocd.argoproj.io/tracking-id": "shop:apps/Deployment:shop/web", lastApplied: `{"big":"copy"}`},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "capstan"}},
	}}
	out, err := slim(in)
	if err != nil {
		t.Fatal(err)
	}
	m := out.(*metav1.PartialObjectMetadata)
	if m.ManagedFields != nil {
		t.Error("managed fields kept")
	}
	if _, ok := m.Annotations[lastApplied]; ok {
		t.Error("kubectl's last-applied copy kept")
	}
	if m.Annotations["argocd.argoproj.io/tracking-id"] != "shop:apps/Deployment:shop/web" || m.Labels["capstan.dev/managed"] != "true" ||
		m.ResourceVersion != "42" || m.UID != "u1" || m.Name != "web" || m.Namespace != "shop" {
		t.Errorf("slim lost metadata capstan reads: %+v", m.ObjectMeta)
	}
}

func TestOwnerKeysIndexBothTrackings(t *testing.T) {
	m := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop",
		Annotations: map[string]string{"argocd.argoproj.io/tracking-id": "shop:apps/Deployment:shop/web"},
		Labels:      map[string]string{"app.kubernetes.io/instance": "legacy"}}}
	keys, err := ownerKeys(m)
	if err != nil || len(keys) != 2 || keys[0] != "id:shop" || keys[1] != "label:legacy" {
		t.Errorf("ownerKeys = %v, %v; want [id:shop label:legacy]", keys, err)
	}
	m.Annotations["argocd.argoproj.io/tracking-id"] = "not a tracking id"
	delete(m.Labels, "app.kubernetes.io/instance")
	if keys, _ := ownerKeys(m); len(keys) != 0 {
		t.Errorf("a malformed tracking-id is indexed: %v", keys)
	}
}
