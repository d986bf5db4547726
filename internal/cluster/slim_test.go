package cluster

import (
	"maps"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/internal/apply"
	"github.com/capstan-cd/capstan/internal/intern"
)

func TestSlimKeepsWhatCapstanReads(t *testing.T) {
	deleted := metav1.Now()
	in := &metav1.PartialObjectMetadata{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{
			Name: "web", GenerateName: "we", Namespace: "shop", ResourceVersion: "42", UID: "u1", Generation: 3,
			CreationTimestamp: metav1.Now(), DeletionTimestamp: &deleted,
			Labels: map[string]string{"capstan.dev/managed": "true"},
			Annotations: map[string]string{"argocd.argoproj.io/tracking-id": "shop:apps/Deployment:shop/web", lastApplied: `{"big":"copy"}`,
				"argocd.argoproj.io/sync-options": "Prune=false"},
			OwnerReferences: []metav1.OwnerReference{{Kind: "Thing", Name: "owner", UID: "u0"}},
			Finalizers:      []string{"example.com/keep"},
			ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "capstan"}},
		},
	}
	out, err := slim(in)
	if err != nil {
		t.Fatal(err)
	}
	m := out.(*metav1.PartialObjectMetadata)
	want := in.DeepCopy()
	want.ManagedFields = nil
	delete(want.Annotations, lastApplied)
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("slim changed what capstan reads (-want +got):\n%s", diff)
	}
}

// Of the managed fields, a slimmed object keeps the digest of what
// capstan's apply owns, equal to the one of the object read whole, and
// shared by objects of the same shape; none when capstan's fields are
// unknown (it also updated the object).
func TestSlimKeepsTheDigestOfCapstansFields(t *testing.T) {
	entries := func(fields string, op metav1.ManagedFieldsOperationType) []metav1.ManagedFieldsEntry {
		return []metav1.ManagedFieldsEntry{
			{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "apps/v1", FieldsType: "FieldsV1",
				FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:status":{"f:replicas":{}}}`)}, Subresource: "status"},
			{Manager: apply.FieldManager, Operation: op, APIVersion: "apps/v1", FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(fields)}},
		}
	}
	object := func(name, fields string, op metav1.ManagedFieldsOperationType) *metav1.PartialObjectMetadata {
		out, err := slim(&metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", ManagedFields: entries(fields, op)}})
		if err != nil {
			t.Fatal(err)
		}
		return out.(*metav1.PartialObjectMetadata)
	}
	replicas, image := `{"f:spec":{"f:replicas":{}}}`, `{"f:spec":{"f:template":{}}}`
	a, b, c := object("a", replicas, metav1.ManagedFieldsOperationApply), object("b", replicas, metav1.ManagedFieldsOperationApply), object("c", image, metav1.ManagedFieldsOperationApply)
	if got, want := OwnedFields(a), apply.OwnedFields(entries(replicas, metav1.ManagedFieldsOperationApply)); got == "" || got != want {
		t.Errorf("digest kept %q, of the object read whole %q", got, want)
	}
	if OwnedFields(c) == OwnedFields(a) || OwnedFields(c) == "" {
		t.Errorf("other fields, digest %q against %q", OwnedFields(c), OwnedFields(a))
	}
	if &a.ManagedFields[0] != &b.ManagedFields[0] {
		t.Error("two objects with the same fields hold a digest each")
	}
	if u := object("d", replicas, metav1.ManagedFieldsOperationUpdate); OwnedFields(u) != "" || u.ManagedFields != nil {
		t.Errorf("capstan's fields unknown, yet kept: %+v", u.ManagedFields)
	}
	// An informer may transform an object twice: the digest stays.
	again, err := slim(a)
	if err != nil {
		t.Fatal(err)
	}
	if got := OwnedFields(again.(*metav1.PartialObjectMetadata)); got != OwnedFields(a) {
		t.Errorf("slimmed twice, the digest became %q instead of %q", got, OwnedFields(a))
	}
}

func TestSlimSharesLabelsAndStrings(t *testing.T) {
	object := func(ns, name string) *metav1.PartialObjectMetadata {
		m := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: strings.Clone(ns),
			Labels:      map[string]string{strings.Clone("capstan.dev/managed"): strings.Clone("true"), "app.kubernetes.io/name": strings.Clone(name)},
			Annotations: map[string]string{strings.Clone("argocd.argoproj.io/tracking-id"): "a:/ConfigMap:" + ns + "/" + name},
		}}
		out, err := slim(m)
		if err != nil {
			t.Fatal(err)
		}
		return out.(*metav1.PartialObjectMetadata)
	}
	a, b, c := object("shop", "web"), object("shop", "web"), object("shop", "db")
	if reflect.ValueOf(a.Labels).UnsafePointer() != reflect.ValueOf(b.Labels).UnsafePointer() {
		t.Error("two objects with the same labels hold a map each")
	}
	if reflect.ValueOf(a.Labels).UnsafePointer() == reflect.ValueOf(c.Labels).UnsafePointer() || c.Labels["app.kubernetes.io/name"] != "db" {
		t.Errorf("objects with other labels share a map: %v", c.Labels)
	}
	if unsafe.StringData(a.Namespace) != unsafe.StringData(b.Namespace) {
		t.Error("two objects in the same namespace hold a copy of its name each")
	}
	if a.Annotations["argocd.argoproj.io/tracking-id"] != "a:/ConfigMap:shop/web" || b.Annotations["argocd.argoproj.io/tracking-id"] != "a:/ConfigMap:shop/web" {
		t.Errorf("tracking-ids = %v, %v", a.Annotations, b.Annotations)
	}
}

func TestSharedMetaIsBounded(t *testing.T) {
	var tab sharedMeta
	first := tab.labels(map[string]string{"n": "first"})
	for i := range intern.Limit {
		tab.labels(map[string]string{"n": strconv.Itoa(i)})
	}
	if len(tab.maps) > intern.Limit {
		t.Errorf("table of label maps grew past %d: %d", intern.Limit, len(tab.maps))
	}
	if again := tab.labels(map[string]string{"n": "first"}); !maps.Equal(again, first) {
		t.Errorf("labels = %v after the table started afresh, want %v", again, first)
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
