package cluster

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/capstan-cd/capstan/internal/apply"
)

// decodedObject is the metadata of one managed object of app as a watch
// decodes it: every string a copy of its own, as a decoder makes.
func decodedObject(app, kind string, i int) *metav1.PartialObjectMetadata {
	c := strings.Clone
	ns, name := fmt.Sprintf("w1-%04d", i), fmt.Sprintf("%s-%s", app, strings.ToLower(kind))
	annotations := map[string]string{c("argocd.argoproj.io/tracking-id"): c(app + ":apps/" + kind + ":" + ns + "/" + name),
		c("capstan.dev/applied"): fmt.Sprintf("%032x", i*8+len(kind))}
	if kind == "Deployment" {
		annotations[c("deployment.kubernetes.io/revision")] = c("1")
	}
	return &metav1.PartialObjectMetadata{
		TypeMeta: metav1.TypeMeta{APIVersion: c("apps/v1"), Kind: c(kind)},
		ObjectMeta: metav1.ObjectMeta{
			Name: c(name), Namespace: c(ns), UID: types.UID(fmt.Sprintf("4f0c5e8a-1d2b-4c3d-9e8f-%012d", i)),
			ResourceVersion: fmt.Sprint(100000 + i), Generation: 1, CreationTimestamp: metav1.Now(),
			Labels:      map[string]string{c("capstan.dev/managed"): c("true"), c("app.kubernetes.io/instance"): c(app)},
			Annotations: annotations,
			ManagedFields: []metav1.ManagedFieldsEntry{
				{Manager: c(apply.FieldManager), Operation: metav1.ManagedFieldsOperationApply, APIVersion: c("apps/v1"), FieldsType: c("FieldsV1"),
					FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:labels":{"f:capstan.dev/managed":{}}},"f:spec":{"f:replicas":{}}}`)}},
				{Manager: c("kube-controller-manager"), Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: c("apps/v1"), FieldsType: c("FieldsV1"),
					FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:status":{"f:replicas":{}}}`)}, Subresource: c("status")},
			},
		},
	}
}

// w1Kinds are the kinds of a W1 Application's five objects.
var w1Kinds = []string{"ConfigMap", "Deployment", "Service", "ServiceAccount", "Secret"}

// slimW1 slims the objects of kind of apps Applications of W1's shape
// and gives each to keep.
func slimW1(b *testing.B, apps int, kind string, keep func(any)) {
	for i := range apps {
		out, err := slim(decodedObject(fmt.Sprintf("app-%04d", i), kind, i))
		if err != nil {
			b.Fatal(err)
		}
		keep(out)
	}
}

// heldBy returns the heap that what run keeps holds once collected. run
// starts from an empty table of shared strings and maps, so what the
// objects of an Application or a namespace share is counted; the table in
// use before is put back when b ends.
func heldBy(b *testing.B, run func()) uint64 {
	before := shared
	b.Cleanup(func() { shared = before })
	shared = &sharedMeta{}
	var start, end runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&start)
	run()
	runtime.GC()
	runtime.ReadMemStats(&end)
	return end.HeapAlloc - start.HeapAlloc
}

// BenchmarkSlimHeld reports the heap a watch's cache holds per managed
// object once slimmed (B/object): W1's shape, five objects an Application.
func BenchmarkSlimHeld(b *testing.B) {
	const apps = 2000
	var held []any
	for b.Loop() {
		held = nil
		bytes := heldBy(b, func() {
			held = make([]any, 0, apps*len(w1Kinds))
			for _, k := range w1Kinds {
				slimW1(b, apps, k, func(out any) { held = append(held, out) })
			}
		})
		// Less the slice that keeps them, which no cache has.
		b.ReportMetric(float64(bytes-uint64(cap(held))*16)/float64(len(held)), "B/object")
	}
	runtime.KeepAlive(held)
}

// BenchmarkWatchCacheHeld reports the heap the watches' caches hold per
// managed object (B/object): the slimmed copies, the caches' maps and
// their index by owner, one cache per kind as the watches keep them, at
// W1's and W2's numbers of Applications.
func BenchmarkWatchCacheHeld(b *testing.B) {
	for _, apps := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("apps=%d", apps), func(b *testing.B) { watchCacheHeld(b, apps) })
	}
}

func watchCacheHeld(b *testing.B, apps int) {
	l := &Live{labelKey: "app.kubernetes.io/instance"}
	var held []cache.Indexer
	for b.Loop() {
		held = nil
		bytes := heldBy(b, func() {
			for _, k := range w1Kinds {
				store := cache.NewIndexer(cache.DeletionHandlingMetaNamespaceKeyFunc, cache.Indexers{ownerIndex: l.ownerKeys})
				slimW1(b, apps, k, func(out any) {
					if err := store.Add(out); err != nil {
						b.Fatal(err)
					}
				})
				held = append(held, store)
			}
		})
		b.ReportMetric(float64(bytes)/float64(apps*len(w1Kinds)), "B/object")
	}
	runtime.KeepAlive(held)
}

// BenchmarkOwned reports what Owned costs (ns/op: one Application's
// objects of one kind), read from a cache of W1's objects of that kind at
// W1's and W2's numbers of Applications.
func BenchmarkOwned(b *testing.B) {
	for _, apps := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("apps=%d", apps), func(b *testing.B) {
			gvr := deploymentsResource
			l, store := liveOf(gvr)
			slimW1(b, apps, "Deployment", func(out any) {
				if err := store.Add(out); err != nil {
					b.Fatal(err)
				}
			})
			names := make([]string, apps)
			for i := range names {
				names[i] = fmt.Sprintf("app-%04d", i)
			}
			i := 0
			for b.Loop() {
				if got := l.Owned(gvr, names[i%apps], i%2 == 0); len(got) != 1 {
					b.Fatalf("Owned(%s) = %d objects, want 1", names[i%apps], len(got))
				}
				i++
			}
		})
	}
}
