package cluster

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

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
				"argocd.argoproj.io/sync-options": "Prune=false", "capstan.dev/applied": "d1"},
			OwnerReferences: []metav1.OwnerReference{{Kind: "Thing", Name: "owner", UID: "u0"}},
			Finalizers:      []string{"example.com/keep"},
			ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "capstan"}},
		},
	}
	out, err := slim(in)
	if err != nil {
		t.Fatal(err)
	}
	m := out.(*Meta)
	want := &Meta{Name: "web", Namespace: "shop", ResourceVersion: "42", Generation: 3,
		Labels: map[string]string{"capstan.dev/managed": "true"}, TrackingID: "shop:apps/Deployment:shop/web",
		rare: &metaRare{deletion: &deleted, uid: "u1", applied: "d1"}}
	if diff := cmp.Diff(want, m, cmp.AllowUnexported(Meta{}, metaRare{}), cmpopts.IgnoreFields(Meta{}, "others")); diff != "" {
		t.Errorf("slim changed what capstan reads (-want +got):\n%s", diff)
	}
	wantAnnotations := maps.Clone(in.Annotations)
	delete(wantAnnotations, lastApplied)
	if diff := cmp.Diff(wantAnnotations, m.Annotations()); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
	if v, ok := m.Annotation("argocd.argoproj.io/sync-options"); !ok || v != "Prune=false" {
		t.Errorf("sync-options = %q, %v", v, ok)
	}
	if v, ok := m.Annotation("capstan.dev/applied"); !ok || v != "d1" {
		t.Errorf("capstan's stamp = %q, %v", v, ok)
	}
	if v, ok := m.Annotation(lastApplied); ok {
		t.Errorf("kubectl's copy of the object is kept: %q", v)
	}
	// An informer may transform an object twice: the copy stays as it is.
	if again, err := slim(m); err != nil || again != m {
		t.Errorf("slimmed twice: %v, %v", again, err)
	}
	// What the informer's cache and its handlers read of it.
	if key, err := cache.MetaNamespaceKeyFunc(m); err != nil || key != "shop/web" {
		t.Errorf("cache key = %q, %v", key, err)
	}
	u := m.Object("apps/v1", "Deployment")
	if u.GetName() != "web" || u.GetNamespace() != "shop" || u.GetUID() != "u1" || u.GetResourceVersion() != "42" ||
		!maps.Equal(u.GetLabels(), want.Labels) || !maps.Equal(u.GetAnnotations(), wantAnnotations) || u.GetKind() != "Deployment" {
		t.Errorf("object of the metadata = %v", u.Object)
	}
}

// An object without annotations keeps none, and a Meta set anew keeps
// them as slim does.
func TestMetaAnnotations(t *testing.T) {
	m := MetaOf(&metav1.ObjectMeta{Name: "plain"})
	if m.Annotations() != nil || m.others != nil || m.TrackingID != "" {
		t.Errorf("annotations of an object without any: %v", m.Annotations())
	}
	if _, ok := m.Annotation("argocd.argoproj.io/tracking-id"); ok {
		t.Error("a tracking-id is found on an object without one")
	}
	set := map[string]string{"argocd.argoproj.io/tracking-id": "a:/ConfigMap:ns/plain", "capstan.dev/applied": "d1", "x": "1", lastApplied: "{}"}
	m.SetAnnotations(set)
	if m.TrackingID != "a:/ConfigMap:ns/plain" || m.stamp() != "d1" || len(m.others) != 1 || m.others["x"] != "1" {
		t.Errorf("set: tracking-id %q, stamp %q, others %v", m.TrackingID, m.stamp(), m.others)
	}
	delete(set, lastApplied)
	if got := m.Annotations(); !maps.Equal(got, set) {
		t.Errorf("annotations = %v, want %v", got, set)
	}
	m.SetAnnotations(map[string]string{"x": "2"})
	if m.TrackingID != "" || m.stamp() != "" || m.others["x"] != "2" {
		t.Errorf("set again: tracking-id %q, stamp %q, others %v", m.TrackingID, m.stamp(), m.others)
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
	object := func(name, fields string, op metav1.ManagedFieldsOperationType) *Meta {
		out, err := slim(&metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", ManagedFields: entries(fields, op)}})
		if err != nil {
			t.Fatal(err)
		}
		return out.(*Meta)
	}
	replicas, image := `{"f:spec":{"f:replicas":{}}}`, `{"f:spec":{"f:template":{}}}`
	a, b, c := object("a", replicas, metav1.ManagedFieldsOperationApply), object("b", replicas, metav1.ManagedFieldsOperationApply), object("c", image, metav1.ManagedFieldsOperationApply)
	if got, want := a.OwnedFields, apply.OwnedFields(entries(replicas, metav1.ManagedFieldsOperationApply)); got == "" || got != want {
		t.Errorf("digest kept %q, of the object read whole %q", got, want)
	}
	if c.OwnedFields == a.OwnedFields || c.OwnedFields == "" {
		t.Errorf("other fields, digest %q against %q", c.OwnedFields, a.OwnedFields)
	}
	if unsafe.StringData(a.OwnedFields) != unsafe.StringData(b.OwnedFields) {
		t.Error("two objects with the same fields hold a digest each")
	}
	if u := object("d", replicas, metav1.ManagedFieldsOperationUpdate); u.OwnedFields != "" {
		t.Errorf("capstan's fields unknown, yet a digest is kept: %q", u.OwnedFields)
	}
	// An informer may transform an object twice: the digest stays.
	again, err := slim(a)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.(*Meta).OwnedFields; got != a.OwnedFields {
		t.Errorf("slimmed twice, the digest became %q instead of %q", got, a.OwnedFields)
	}
}

func TestSlimSharesLabelsAndStrings(t *testing.T) {
	object := func(ns, name string) *Meta {
		m := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: strings.Clone(ns),
			Labels: map[string]string{strings.Clone("capstan.dev/managed"): strings.Clone("true"), "app.kubernetes.io/name": strings.Clone(name)},
			Annotations: map[string]string{strings.Clone("argocd.argoproj.io/tracking-id"): "a:/ConfigMap:" + ns + "/" + name,
				strings.Clone("capstan.dev/applied"): "digest-of-" + name, strings.Clone("deployment.kubernetes.io/revision"): strings.Clone("1")},
		}}
		out, err := slim(m)
		if err != nil {
			t.Fatal(err)
		}
		return out.(*Meta)
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
	if a.TrackingID != "a:/ConfigMap:shop/web" || b.TrackingID != "a:/ConfigMap:shop/web" || c.TrackingID != "a:/ConfigMap:shop/db" {
		t.Errorf("tracking-ids = %q, %q, %q", a.TrackingID, b.TrackingID, c.TrackingID)
	}
	if a.stamp() != "digest-of-web" || c.stamp() != "digest-of-db" {
		t.Errorf("stamps = %q, %q", a.stamp(), c.stamp())
	}
	// The other annotations are the same on all three: one map holds them.
	if reflect.ValueOf(a.others).UnsafePointer() != reflect.ValueOf(c.others).UnsafePointer() || c.others["deployment.kubernetes.io/revision"] != "1" || len(c.others) != 1 {
		t.Errorf("the annotations besides the tracking-id and the stamp are not shared: %v, %v", a.others, c.others)
	}
}

// Two maps share a copy only when they are equal, whatever bytes their
// keys and values hold.
func TestSharedMapsAreEqualMaps(t *testing.T) {
	var tab sharedMeta
	for _, pair := range [][2]map[string]string{
		{{"a": "1\x00b\x002"}, {"a": "1", "b": "2"}},
		{{"a:1": "2"}, {"a": "1:2"}},
		{{"1:a": ""}, {"1": "a"}},
	} {
		first, second := tab.share(pair[0]), tab.share(pair[1])
		if !maps.Equal(first, pair[0]) || !maps.Equal(second, pair[1]) {
			t.Errorf("shared %q and %q as %q and %q", pair[0], pair[1], first, second)
		}
	}
}

func TestSharedMetaIsBounded(t *testing.T) {
	var tab sharedMeta
	first := tab.share(map[string]string{"n": "first"})
	for i := range intern.Limit {
		tab.share(map[string]string{"n": strconv.Itoa(i)})
	}
	if len(tab.maps) > intern.Limit {
		t.Errorf("table of label maps grew past %d: %d", intern.Limit, len(tab.maps))
	}
	if again := tab.share(map[string]string{"n": "first"}); !maps.Equal(again, first) {
		t.Errorf("labels = %v after the table started afresh, want %v", again, first)
	}
}

func TestOwnerKeysIndexBothTrackings(t *testing.T) {
	// buckets are the keys of the buckets of apps, each once: two
	// Applications may share one.
	buckets := func(apps ...string) []string {
		var out []string
		for _, app := range apps {
			if b := ownerBucket(app); !slices.Contains(out, b) {
				out = append(out, b)
			}
		}
		return out
	}
	// legacy is a name in another bucket than shop's, so that an object
	// tracked to both has two keys.
	legacy := "legacy"
	for i := 0; ownerBucket(legacy) == ownerBucket("shop"); i++ {
		legacy = "legacy-" + strconv.Itoa(i)
	}
	m := &Meta{Name: "web", Namespace: "shop", TrackingID: "shop:apps/Deployment:shop/web",
		Labels: map[string]string{"app.kubernetes.io/instance": legacy}}
	l := &Live{labelKey: "app.kubernetes.io/instance"}
	keys, err := l.ownerKeys(m)
	if err != nil || len(keys) != 2 || !slices.Equal(keys, buckets("shop", legacy)) {
		t.Errorf("ownerKeys = %v, %v; want the buckets of shop and %s %v", keys, err, legacy, buckets("shop", legacy))
	}
	// Under another instance label key, the default label tracks nothing.
	other := &Live{labelKey: "argocd.argoproj.io/instance"}
	if keys, _ := other.ownerKeys(m); !slices.Equal(keys, buckets("shop")) {
		t.Errorf("ownerKeys under another label key = %v; want shop's %v", keys, buckets("shop"))
	}
	m.Labels["argocd.argoproj.io/instance"] = legacy
	if keys, _ := other.ownerKeys(m); len(keys) != 2 || !slices.Equal(keys, buckets("shop", legacy)) {
		t.Errorf("ownerKeys under another label key = %v; want shop's and %s's %v", keys, legacy, buckets("shop", legacy))
	}
	// Both name the same Application, as on what capstan applies: one key.
	m.Labels["app.kubernetes.io/instance"] = "shop"
	if keys, _ := l.ownerKeys(m); !slices.Equal(keys, buckets("shop")) {
		t.Errorf("ownerKeys, both trackings naming shop = %v; want %v", keys, buckets("shop"))
	}
	m.TrackingID = "not a tracking id"
	if keys, _ := l.ownerKeys(m); !slices.Equal(keys, buckets("shop")) {
		t.Errorf("ownerKeys with a malformed tracking-id = %v; want the label's %v", keys, buckets("shop"))
	}
	delete(m.Labels, "app.kubernetes.io/instance")
	delete(m.Labels, "argocd.argoproj.io/instance")
	if keys, _ := l.ownerKeys(m); len(keys) != 0 {
		t.Errorf("a malformed tracking-id is indexed: %v", keys)
	}
}

// TestTracks: the tracking-id names the Application, whole and well
// formed; a name that only starts like it is another Application's.
func TestTracks(t *testing.T) {
	for _, tt := range []struct {
		id   string
		want bool
	}{
		{"app-1:apps/Deployment:ns/web", true},
		{"app-1:/ConfigMap:ns/web", true},
		{"app-10:apps/Deployment:ns/web", false},
		{"app-:apps/Deployment:ns/web", false},
		{"app-1", false},
		{"app-1:", false},
		{"app-1:apps/Deployment", false},
		{"", false},
	} {
		if got := tracks(&Meta{TrackingID: tt.id}, "app-1"); got != tt.want {
			t.Errorf("tracks(%q, app-1) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

// TestOwnedKeepsItsApplicationsOfABucket gives three times as many
// Applications as the owner index has buckets, so that some share one,
// and checks that Owned returns, whichever the tracking asked for, the
// objects of the Application asked for and no other's, also once an
// object's tracking moves to another Application.
func TestOwnedKeepsItsApplicationsOfABucket(t *testing.T) {
	const apps = 3 * ownerBuckets
	gvr := deploymentsResource
	l, store := liveOf(gvr)
	app := func(i int) string { return fmt.Sprintf("app-%d", i) }
	// Application i has two objects: "id-i", tracked to it by its
	// tracking-id and labelled for the next one, and "label-i", labelled
	// for it alone.
	buckets := map[string]bool{}
	for i := range apps {
		buckets[ownerBucket(app(i))] = true
		objects := []*Meta{
			{Name: "id-" + app(i), Namespace: "ns", TrackingID: app(i) + ":apps/Deployment:ns/id-" + app(i),
				Labels: map[string]string{"app.kubernetes.io/instance": app(i + 1)}},
			{Name: "label-" + app(i), Namespace: "ns", Labels: map[string]string{"app.kubernetes.io/instance": app(i)}},
		}
		for _, m := range objects {
			if err := store.Add(m); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Spread evenly, 768 names leave about 13 of the 256 buckets empty.
	if len(buckets) < 200 {
		t.Errorf("%d Applications fill %d of %d buckets: the index does not spread them", apps, len(buckets), ownerBuckets)
	}
	owned := func(app string, byLabel bool) []string { return ownedNames(l, gvr, app, byLabel) }
	for i := range apps {
		if got, want := owned(app(i), false), []string{"id-" + app(i)}; !slices.Equal(got, want) {
			t.Errorf("Owned(%s) by tracking-id = %v, want %v", app(i), got, want)
		}
		want := []string{"label-" + app(i)}
		if i > 0 {
			want = []string{"id-" + app(i-1), "label-" + app(i)}
		}
		if got := owned(app(i), true); !slices.Equal(got, want) {
			t.Errorf("Owned(%s) by label = %v, want %v", app(i), got, want)
		}
	}
	// The label of label-app-0 moves to app-7.
	moved := &Meta{Name: "label-" + app(0), Namespace: "ns", Labels: map[string]string{"app.kubernetes.io/instance": app(7)}}
	if err := store.Update(moved); err != nil {
		t.Fatal(err)
	}
	if got := owned(app(0), true); len(got) != 0 {
		t.Errorf("Owned(%s) by label after its object moved = %v, want none", app(0), got)
	}
	if got, want := owned(app(7), true), []string{"id-" + app(6), "label-" + app(0), "label-" + app(7)}; !slices.Equal(got, want) {
		t.Errorf("Owned(%s) by label after an object moved to it = %v, want %v", app(7), got, want)
	}
}

// liveOf is a Live whose watch of gvr is a cache filled by the caller
// (store), indexed as the watches index theirs, and never run.
func liveOf(gvr schema.GroupVersionResource) (*Live, cache.Indexer) {
	l := &Live{labelKey: "app.kubernetes.io/instance", watching: map[schema.GroupVersionResource]map[string]cache.SharedIndexInformer{}}
	inf := cache.NewSharedIndexInformer(nil, &metav1.PartialObjectMetadata{}, 0, cache.Indexers{ownerIndex: l.ownerKeys})
	l.watching[gvr] = map[string]cache.SharedIndexInformer{metav1.NamespaceAll: inf}
	return l, inf.GetIndexer()
}

// ownedNames are the names of what l.Owned returns, sorted.
func ownedNames(l *Live, gvr schema.GroupVersionResource, app string, byLabel bool) []string {
	var out []string
	for _, m := range l.Owned(gvr, app, byLabel) {
		out = append(out, m.Name)
	}
	slices.Sort(out)
	return out
}

// A uid and a stamp in the forms the API server and capstan write them
// are kept as bytes, and read back as they were; any other value is kept
// as it is. Either way a Meta stays within 144 bytes, the size class a
// Meta took before.
func TestMetaKeepsUIDAndStampAsBytes(t *testing.T) {
	if size := unsafe.Sizeof(Meta{}); size > 144 {
		t.Errorf("a Meta takes %d bytes, more than 144", size)
	}
	const uid, digest = "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "0123456789abcdef0123456789abcdef"
	m := MetaOf(&metav1.ObjectMeta{Name: "web", UID: uid, Annotations: map[string]string{"capstan.dev/applied": digest}})
	if m.rare != nil || m.uid == ([16]byte{}) || m.applied == ([16]byte{}) {
		t.Errorf("a UUID and a digest are not kept as bytes: uid %x, stamp %x, rare %+v", m.uid, m.applied, m.rare)
	}
	if got := m.GetUID(); got != uid {
		t.Errorf("uid = %q, want %q", got, uid)
	}
	if v, ok := m.Annotation("capstan.dev/applied"); !ok || v != digest {
		t.Errorf("stamp = %q, %v; want %q", v, ok, digest)
	}
	if got := m.Object("v1", "ConfigMap"); got.GetUID() != uid || got.GetAnnotations()["capstan.dev/applied"] != digest {
		t.Errorf("the object of the Meta has uid %q and annotations %v", got.GetUID(), got.GetAnnotations())
	}
	// Other forms, the nil UUID and a digest of zeros among them, come
	// back as they were.
	for _, odd := range []struct{ uid, stamp string }{
		{"1B4E28BA-2FA1-11D2-883F-0016D3CCA427", "0123456789ABCDEF0123456789ABCDEF"},
		{"00000000-0000-0000-0000-000000000000", "00000000000000000000000000000000"},
		{"{1b4e28ba-2fa1-11d2-883f-0016d3cca427}", "0123456789abcdef"},
		{"1b4e28ba2fa111d2883f0016d3cca427", "sha256:0123"},
		{"u1", "d1"},
	} {
		o := MetaOf(&metav1.ObjectMeta{UID: types.UID(odd.uid), Annotations: map[string]string{"capstan.dev/applied": odd.stamp}})
		if o.GetUID() != types.UID(odd.uid) || o.stamp() != odd.stamp || o.uid != ([16]byte{}) || o.applied != ([16]byte{}) {
			t.Errorf("uid %q and stamp %q came back as %q and %q", odd.uid, odd.stamp, o.GetUID(), o.stamp())
		}
		o.SetUID(uid)
		o.SetAnnotations(map[string]string{"capstan.dev/applied": digest})
		if o.GetUID() != uid || o.stamp() != digest || o.rare.uid != "" || o.rare.applied != "" {
			t.Errorf("set over %q and %q: uid %q, stamp %q, rare %+v", odd.uid, odd.stamp, o.GetUID(), o.stamp(), o.rare)
		}
		if !o.sameUID(m) {
			t.Errorf("two Metas of uid %s are not the same", uid)
		}
		o.SetUID(types.UID(odd.uid))
		if o.sameUID(m) || o.GetUID() != types.UID(odd.uid) {
			t.Errorf("the uid %q is the same as %s", o.GetUID(), uid)
		}
	}
	n := MetaOf(&metav1.ObjectMeta{Name: "plain"})
	if n.GetUID() != "" || n.stamp() != "" || n.GetDeletionTimestamp() != nil || n.rare != nil {
		t.Errorf("an object without uid, stamp or deletion: %q, %q, %v, %+v", n.GetUID(), n.stamp(), n.GetDeletionTimestamp(), n.rare)
	}
	if !n.sameUID(&Meta{}) || n.sameUID(m) {
		t.Error("two objects without a uid differ, or one is the same as one with a uid")
	}
}

// A digest of capstan's fields given to ShareDigest is the copy the
// watches' Metas hold.
func TestShareDigest(t *testing.T) {
	managed := []metav1.ManagedFieldsEntry{{Manager: apply.FieldManager, Operation: metav1.ManagedFieldsOperationApply, APIVersion: "v1",
		FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:data":{"f:shared-digest-test":{}}}`)}}}
	m := MetaOf(&metav1.ObjectMeta{Name: "a", ManagedFields: managed})
	d := apply.OwnedFields(managed)
	if d == "" || m.OwnedFields != d {
		t.Fatalf("owned fields %q, want %q", m.OwnedFields, d)
	}
	if got := ShareDigest(strings.Clone(d)); got != d || unsafe.StringData(got) != unsafe.StringData(m.OwnedFields) {
		t.Error("ShareDigest gave a copy of its own")
	}
	if ShareDigest("") != "" {
		t.Error("no digest came back as one")
	}
}
