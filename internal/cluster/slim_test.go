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
	l := &Live{labelKey: "app.kubernetes.io/instance"}
	keys, err := l.ownerKeys(m)
	if err != nil || len(keys) != 2 || keys[0] != "id:shop" || keys[1] != "label:legacy" {
		t.Errorf("ownerKeys = %v, %v; want [id:shop label:legacy]", keys, err)
	}
	// Under another instance label key, the default label tracks nothing.
	other := &Live{labelKey: "argocd.argoproj.io/instance"}
	if keys, _ := other.ownerKeys(m); len(keys) != 1 || keys[0] != "id:shop" {
		t.Errorf("ownerKeys under another label key = %v; want [id:shop]", keys)
	}
	m.Labels["argocd.argoproj.io/instance"] = "legacy"
	if keys, _ := other.ownerKeys(m); len(keys) != 2 || keys[1] != "label:legacy" {
		t.Errorf("ownerKeys under another label key = %v; want [id:shop label:legacy]", keys)
	}
	m.Annotations["argocd.argoproj.io/tracking-id"] = "not a tracking id"
	delete(m.Labels, "app.kubernetes.io/instance")
	delete(m.Labels, "argocd.argoproj.io/instance")
	if keys, _ := l.ownerKeys(m); len(keys) != 0 {
		t.Errorf("a malformed tracking-id is indexed: %v", keys)
	}
}
