package appcache

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// fill sets every field v reaches: strings, numbers and booleans to a
// value that is not their zero, slices and maps to one element, pointers
// to a value. What JSON holds in its own form gets a value of that form.
func fill(t *testing.T, v reflect.Value, depth int) {
	t.Helper()
	if depth > 12 {
		return
	}
	switch v.Interface().(type) {
	case metav1.Time:
		v.Set(reflect.ValueOf(metav1.NewTime(time.Date(2026, 12, 6, 3, 4, 5, 0, time.UTC).Local())))
		return
	case apiruntime.RawExtension:
		v.Set(reflect.ValueOf(apiruntime.RawExtension{Raw: []byte(`{"key":"value"}`)}))
		return
	case intstr.IntOrString:
		v.Set(reflect.ValueOf(intstr.FromString("25%")))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", depth))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int32, reflect.Int64:
		v.SetInt(int64(7 + depth))
	case reflect.Uint8, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(7 + depth))
	case reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(t, p.Elem(), depth+1)
		v.Set(p)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(t, v.Field(i), depth+1)
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(t, s.Index(0), depth+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		key, elem := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(t, key, depth+1)
		fill(t, elem, depth+1)
		m.SetMapIndex(key, elem)
		v.Set(m)
	default:
		t.Fatalf("fill: no value for a %s", v.Type())
	}
}

func fullApplication(t *testing.T) *v1alpha1.Application {
	app := &v1alpha1.Application{}
	fill(t, reflect.ValueOf(&app.Spec).Elem(), 0)
	fill(t, reflect.ValueOf(&app.Status).Elem(), 0)
	app.Operation = &v1alpha1.Operation{}
	fill(t, reflect.ValueOf(app.Operation).Elem(), 0)
	app.Namespace, app.Name, app.ResourceVersion = "argocd", "guestbook", "42"
	app.Labels = map[string]string{"team": "a"}
	return app
}

// TestRoundTrip checks that a status with every field set comes back
// from the cache as it went in, through the cache client's copy and
// through Expand, and that the cached form keeps the metadata and spec
// as they were.
func TestRoundTrip(t *testing.T) {
	app := fullApplication(t)
	want := app.DeepCopy()
	packed := Pack(app)
	if packed.status == nil || packed.decoded != nil {
		t.Fatalf("status not packed: %d bytes, decoded %v", len(packed.status), packed.decoded != nil)
	}
	copied, ok := packed.DeepCopyObject().(*v1alpha1.Application)
	if !ok {
		t.Fatalf("DeepCopyObject gave %T", packed.DeepCopyObject())
	}
	if diff := cmp.Diff(want, copied); diff != "" {
		t.Errorf("the cache client's copy differs (-want +got):\n%s", diff)
	}
	expanded, err := packed.Expand()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, expanded); diff != "" {
		t.Errorf("Expand differs (-want +got):\n%s", diff)
	}
	head := packed.Head()
	want.Status = v1alpha1.ApplicationStatus{}
	if diff := cmp.Diff(want, head); diff != "" {
		t.Errorf("Head differs (-want +got):\n%s", diff)
	}
}

// TestExpandMakesCopies checks that what a reader changes in its copy
// stays out of the cache.
func TestExpandMakesCopies(t *testing.T) {
	packed := Pack(fullApplication(t))
	first, err := packed.Expand()
	if err != nil {
		t.Fatal(err)
	}
	first.Labels["team"] = "b"
	first.Spec.Destination.Namespace = "elsewhere"
	first.Spec.Source.Helm.ValueFiles[0] = "changed.yaml"
	first.Operation.Sync.Revision = "changed"
	first.Status.Resources[0].Name = "changed"
	second, err := packed.Expand()
	if err != nil {
		t.Fatal(err)
	}
	if second.Labels["team"] != "a" || second.Spec.Destination.Namespace == "elsewhere" ||
		second.Spec.Source.Helm.ValueFiles[0] == "changed.yaml" || second.Operation.Sync.Revision == "changed" ||
		second.Status.Resources[0].Name == "changed" {
		t.Errorf("a change of one copy reached the cache: %+v", second)
	}
}

func TestBrief(t *testing.T) {
	tests := []struct {
		name   string
		status v1alpha1.ApplicationStatus
		want   Brief
	}{
		{"none yet", v1alpha1.ApplicationStatus{}, Brief{}},
		{"one source", v1alpha1.ApplicationStatus{
			Sync:           v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeSynced, Revision: "abc", Revisions: []string{"def"}},
			Health:         v1alpha1.AppHealthStatus{Status: v1alpha1.HealthStatusHealthy},
			OperationState: &v1alpha1.OperationState{Phase: v1alpha1.OperationRunning},
		}, Brief{Sync: v1alpha1.SyncStatusCodeSynced, Health: v1alpha1.HealthStatusHealthy, Revision: "abc", OperationPhase: v1alpha1.OperationRunning}},
		{"several sources: the first revision", v1alpha1.ApplicationStatus{
			Sync: v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeOutOfSync, Revisions: []string{"def", "ghi"}},
		}, Brief{Sync: v1alpha1.SyncStatusCodeOutOfSync, Revision: "def"}},
	}
	for _, tc := range tests {
		app := &v1alpha1.Application{Status: tc.status}
		if diff := cmp.Diff(tc.want, Pack(app).Brief); diff != "" {
			t.Errorf("%s: packed (-want +got):\n%s", tc.name, diff)
		}
		if diff := cmp.Diff(tc.want, Of(app).Brief); diff != "" {
			t.Errorf("%s: a view (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestEmptyStatusIsNotPacked(t *testing.T) {
	packed := Pack(&v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "new"}})
	if packed.status != nil || packed.decoded != nil {
		t.Errorf("an empty status was kept: %d bytes", len(packed.status))
	}
	app, err := packed.Expand()
	if err != nil || app.Name != "new" || !reflect.DeepEqual(app.Status, v1alpha1.ApplicationStatus{}) {
		t.Errorf("Expand = %+v, %v", app, err)
	}
}

func TestTransform(t *testing.T) {
	stripped := 0
	strip := func(obj any) (any, error) { stripped++; return obj, nil }
	transform := Transform(strip)

	got, err := transform(fullApplication(t))
	if err != nil {
		t.Fatal(err)
	}
	packed, ok := got.(*Application)
	if !ok {
		t.Fatalf("an Application became %T", got)
	}
	again, err := transform(packed)
	if err != nil || again != any(packed) {
		t.Errorf("a packed Application transformed again: %T, %v", again, err)
	}
	other := &metav1.PartialObjectMetadata{}
	if got, err := transform(other); err != nil || got != any(other) {
		t.Errorf("another object transformed: %T, %v", got, err)
	}
	if stripped != 3 {
		t.Errorf("strip ran %d times, want 3", stripped)
	}
}

func TestOf(t *testing.T) {
	app := fullApplication(t)
	packed := Pack(app.DeepCopy())
	tests := []struct {
		name string
		obj  any
		want *Application
	}{
		{"packed", packed, packed},
		{"deleted, packed", toolscache.DeletedFinalStateUnknown{Key: "argocd/guestbook", Obj: packed}, packed},
		{"another kind", &metav1.PartialObjectMetadata{}, nil},
	}
	for _, tc := range tests {
		if got := Of(tc.obj); got != tc.want {
			t.Errorf("%s: Of = %p, want %p", tc.name, got, tc.want)
		}
	}
	// From a cache without Transform: a view of the Application.
	view := Of(app)
	expanded, err := view.Expand()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(app, expanded); diff != "" {
		t.Errorf("a view of an unpacked Application expands to another (-want +got):\n%s", diff)
	}
}

// w2Application is an Application of the benchmark's shape, synced and
// healthy: five objects, one sync in its history.
func w2Application(i int) *v1alpha1.Application {
	ns := fmt.Sprintf("bench-%04d", i)
	at := metav1.NewTime(time.Date(2026, 12, 6, 0, 25, i%60, 0, time.UTC))
	revision := "2623d7c5fa5c18de593b0a758006e2203e40bae9"
	source := v1alpha1.ApplicationSource{RepoURL: "http://127.0.0.1:8080/bench.git", Path: fmt.Sprintf("apps/app-%04d", i), TargetRevision: "HEAD"}
	dest := v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: ns}
	objects := []struct{ group, kind, name string }{
		{"", "ServiceAccount", "web"}, {"", "ConfigMap", "web-config"}, {"rbac.authorization.k8s.io", "Role", "web"},
		{"", "Service", "web"}, {"apps", "Deployment", "web"},
	}
	app := &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: "argocd", Name: fmt.Sprintf("app-%04d", i), ResourceVersion: fmt.Sprint(100000 + i), UID: "5f0c9a5e-0000-4000-8000-000000000000"},
		Spec:       v1alpha1.ApplicationSpec{Project: "default", Source: &source, Destination: dest, SyncPolicy: &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{Prune: true, SelfHeal: true}}},
	}
	st := &app.Status
	st.Sync = v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeSynced, Revision: revision, ComparedTo: v1alpha1.ComparedTo{Source: source, Destination: dest}}
	st.Health = v1alpha1.AppHealthStatus{Status: "Healthy", LastTransitionTime: &at}
	st.ReconciledAt, st.SourceType = &at, v1alpha1.ApplicationSourceTypeDirectory
	st.Summary.Images = []string{"registry.example/web:1.0.0"}
	result := &v1alpha1.SyncOperationResult{Revision: revision, Source: source}
	for _, o := range objects {
		version := "v1"
		st.Resources = append(st.Resources, v1alpha1.ResourceStatus{Group: o.group, Version: version, Kind: o.kind, Namespace: ns, Name: o.name, Status: v1alpha1.SyncStatusCodeSynced, Health: &v1alpha1.HealthStatus{Status: "Healthy"}})
		result.Resources = append(result.Resources, v1alpha1.ResourceResult{Group: o.group, Version: version, Kind: o.kind, Namespace: ns, Name: o.name, Status: "Synced", Message: "applied", SyncPhase: "Sync"})
	}
	st.OperationState = &v1alpha1.OperationState{
		Operation: v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: revision}, InitiatedBy: v1alpha1.OperationInitiator{Automated: true}},
		Phase:     "Succeeded", Message: "successfully synced (all tasks run)", SyncResult: result, StartedAt: at, FinishedAt: &at,
	}
	st.History = v1alpha1.RevisionHistories{{Revision: revision, Source: source, DeployedAt: at, ID: 0, DeployStartedAt: &at, InitiatedBy: v1alpha1.OperationInitiator{Automated: true}}}
	return app
}

// BenchmarkCachedSize reports the heap a cached Application of W2's
// shape takes, decoded as the cache held it before (its strings shared)
// and packed, and what a Get's copy of each and a pack cost.
func BenchmarkCachedSize(b *testing.B) {
	const n = 2000
	heap := func(keep func(i int) any) float64 {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		kept := make([]any, n)
		for i := range kept {
			kept[i] = keep(i)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(kept)
		return float64(after.HeapAlloc-before.HeapAlloc) / n
	}
	b.Run("decoded", func(b *testing.B) {
		for b.Loop() {
			b.ReportMetric(heap(func(i int) any {
				app := w2Application(i)
				shared.Fields(app, "UID", "ResourceVersion", "OwnedFields")
				return app
			}), "B/app")
		}
	})
	b.Run("packed", func(b *testing.B) {
		for b.Loop() {
			b.ReportMetric(heap(func(i int) any { return Pack(w2Application(i)) }), "B/app")
		}
	})
	decoded, packed := w2Application(1), Pack(w2Application(1))
	b.Run("decoded-copy", func(b *testing.B) {
		for b.Loop() {
			_ = decoded.DeepCopyObject()
		}
	})
	b.Run("packed-copy", func(b *testing.B) {
		for b.Loop() {
			_ = packed.DeepCopyObject()
		}
	})
	b.Run("pack", func(b *testing.B) {
		for b.Loop() {
			_ = Pack(decoded)
		}
	})
}

// Applications share the strings of their metadata and specs; what no
// other Application has stays out of the table.
func TestPackSharesStrings(t *testing.T) {
	app := func(name string) *v1alpha1.Application {
		c := strings.Clone
		a := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c("argocd"),
			ResourceVersion: "4711-" + name, UID: types.UID("uid-" + name)}}
		a.Spec.Source = &v1alpha1.ApplicationSource{RepoURL: c("https://git.example/shop.git"), Path: "apps/" + name}
		a.Spec.Destination = v1alpha1.ApplicationDestination{Server: c("https://kubernetes.default.svc"), Namespace: c("shop")}
		return a
	}
	x, y := Pack(app("shop")), Pack(app("shop-2"))
	for _, pair := range [][2]string{
		{x.Spec.Source.RepoURL, y.Spec.Source.RepoURL},
		{x.Namespace, y.Namespace},
		{x.Spec.Destination.Server, y.Spec.Destination.Server},
		{x.Spec.Destination.Namespace, y.Spec.Destination.Namespace},
	} {
		if unsafe.StringData(pair[0]) != unsafe.StringData(pair[1]) {
			t.Errorf("%q is held twice", pair[0])
		}
	}
	for _, s := range []string{x.ResourceVersion, string(x.UID)} {
		if unsafe.StringData(shared.String(strings.Clone(s))) == unsafe.StringData(s) {
			t.Errorf("%q, which no other Application has, is among the shared strings", s)
		}
	}
}
