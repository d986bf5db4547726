package application

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// TestAppVerdictsAcrossTheirTwoForms checks that an Application's
// verdicts answer the same in a slice and, past fewVerdicts, in a map:
// each key its latest verdict, nothing forgotten or dropped by retain.
func TestAppVerdictsAcrossTheirTwoForms(t *testing.T) {
	for _, n := range []int{1, fewVerdicts, fewVerdicts + 1, 3 * fewVerdicts} {
		t.Run(fmt.Sprint(n, " objects"), func(t *testing.T) {
			const here = "https://kubernetes.default.svc"
			var v verdicts
			keys := make([]string, n)
			for i := range keys {
				keys[i] = fmt.Sprintf("/ConfigMap|team/c%02d", i)
				v.put("argocd/web", here, keys[i], verdict{resourceVersion: "1"})
			}
			for i, k := range keys {
				v.put("argocd/web", here, k, verdict{resourceVersion: fmt.Sprint(i + 2)})
			}
			v.put("argocd/other", here, keys[0], verdict{resourceVersion: "other"})
			if got := v.m["argocd/web"].len(); got != n {
				t.Fatalf("%d verdicts kept, want %d", got, n)
			}
			if inMap := v.m["argocd/web"].many != nil; inMap != (n > fewVerdicts) {
				t.Fatalf("%d verdicts held in a map: %v", n, inMap)
			}
			for i, k := range keys {
				if e, ok := v.get("argocd/web", here, k); !ok || e.resourceVersion != fmt.Sprint(i+2) {
					t.Errorf("verdict on %s = %+v, %v; want the latest, version %d", k, e, ok, i+2)
				}
			}
			v.forget("argocd/web", keys[0])
			if _, ok := v.get("argocd/web", here, keys[0]); ok {
				t.Errorf("a forgotten verdict is still there")
			}
			keep := map[string]bool{}
			for _, k := range keys[1:] {
				if len(keep) < (n-1)/2 {
					keep[k] = true
				}
			}
			v.retain("argocd/web", keep)
			kept := map[keyDigest]bool{}
			v.m["argocd/web"].each(func(key keyDigest, _ verdict) { kept[key] = true })
			want := map[keyDigest]bool{}
			for k := range keep {
				want[keyDigestOf(k)] = true
			}
			if !maps.Equal(kept, want) {
				t.Errorf("retained %d verdicts, want those of %v", len(kept), slices.Sorted(maps.Keys(keep)))
			}
			v.put("argocd/web", here, keys[0], verdict{resourceVersion: "back"})
			if e, ok := v.get("argocd/web", here, keys[0]); !ok || e.resourceVersion != "back" || v.m["argocd/web"].len() != len(keep)+1 {
				t.Errorf("a verdict put after retain = %+v, %v, with %d kept; want it among %d", e, ok, v.m["argocd/web"].len(), len(keep)+1)
			}
			v.forget("argocd/web", keys[0])
			if e, ok := v.get("argocd/other", here, keys[0]); !ok || e.resourceVersion != "other" {
				t.Errorf("another Application's verdict = %+v, %v; want it untouched", e, ok)
			}
			v.retain("argocd/web", nil)
			if _, ok := v.m["argocd/web"]; ok {
				t.Errorf("an Application without verdicts is still held")
			}
		})
	}
}

// TestVerdictsBelongToTheirCluster checks that an Application's verdicts,
// whose keys do not name the cluster, answer only in the cluster they were
// concluded in, and that one concluded in another drops them: the same
// namespace and name in a new destination are another object.
func TestVerdictsBelongToTheirCluster(t *testing.T) {
	const first, second = "https://kubernetes.default.svc", "https://prod.example.com"
	var v verdicts
	v.put("argocd/web", first, "/ConfigMap|team/a", verdict{resourceVersion: "1"})
	v.put("argocd/web", first, "/ConfigMap|team/b", verdict{resourceVersion: "2"})
	if _, ok := v.get("argocd/web", second, "/ConfigMap|team/a"); ok {
		t.Error("a verdict concluded in one cluster answers in another")
	}
	if e, ok := v.get("argocd/web", first, "/ConfigMap|team/a"); !ok || e.resourceVersion != "1" {
		t.Errorf("the verdict in its own cluster = %+v, %v", e, ok)
	}
	v.put("argocd/web", second, "/ConfigMap|team/a", verdict{resourceVersion: "9"})
	if e, ok := v.get("argocd/web", second, "/ConfigMap|team/a"); !ok || e.resourceVersion != "9" {
		t.Errorf("the verdict in the new destination = %+v, %v", e, ok)
	}
	if n := v.m["argocd/web"].len(); n != 1 {
		t.Errorf("%d verdicts kept after the destination moved, want the new one alone", n)
	}
	if _, ok := v.get("argocd/web", first, "/ConfigMap|team/b"); ok {
		t.Error("a verdict of the former destination is still there")
	}
}

// TestUIDDigest checks that a uid's digest tells uids apart as the uids
// do: an API server's UUIDs by their bytes, any other uid by its hash.
func TestUIDDigest(t *testing.T) {
	uids := []types.UID{"45663957-caf5-412c-aa3f-7a26a0011078", "45663957-caf5-412c-aa3f-7a26a0011079", "4566395-7caf5-412c-aa3f-7a26a0011078",
		"45663957caf5412caa3f7a26a0011078", "{45663957-caf5-412c-aa3f-7a26a0011078}", "45663957-CAF5-412C-AA3F-7A26A0011078", "one", "two", ""}
	seen := map[uidDigest]types.UID{}
	for _, u := range uids {
		d := digestUID(u)
		if d != digestUID(types.UID(string(u))) {
			t.Errorf("%q has two digests", u)
		}
		if other, ok := seen[d]; ok {
			t.Errorf("%q and %q have the same digest", u, other)
		}
		seen[d] = u
	}
	want := uidDigest{0x45, 0x66, 0x39, 0x57, 0xca, 0xf5, 0x41, 0x2c, 0xaa, 0x3f, 0x7a, 0x26, 0xa0, 0x01, 0x10, 0x78}
	if got := digestUID(uids[0]); got != want {
		t.Errorf("digest of a UUID = %x, want its bytes %x", got, want)
	}
	if n := testing.AllocsPerRun(100, func() { digestUID(uids[0]) }); n != 0 {
		t.Errorf("the digest of a UUID allocates %v times", n)
	}
}

// TestDigestIsWhatItWasGiven checks that a digest is that of the string
// it came from and of no other, a hash differing in one digit included.
func TestDigestIsWhatItWasGiven(t *testing.T) {
	full := desiredHash("desired")
	strs := []string{full, full[:64], "", "not hex", "ABCD", full + "00", "abc", full[:78] + "00", full[:79] + "0"}
	for _, s := range strs {
		d := digestOf(s)
		if !d.is(s) {
			t.Errorf("digestOf(%q) is not its own string", s)
		}
		for _, other := range strs {
			if other != s && d.is(other) {
				t.Errorf("digestOf(%q) is %q", s, other)
			}
		}
	}
}

// BenchmarkVerdictsHeld reports the heap that the verdicts on W1's
// Applications hold (5 objects each) per Application.
func BenchmarkVerdictsHeld(b *testing.B) {
	const apps = 1000
	desired := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap"}}
	hash := hashObject(desired) + "0123456789abcdef"
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		v := &verdicts{}
		for a := range apps {
			app := fmt.Sprintf("argocd/app-%04d", a)
			for i, gvk := range []schema.GroupVersionKind{{Version: "v1", Kind: "ServiceAccount"}, {Version: "v1", Kind: "ConfigMap"},
				{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "Role"}, {Version: "v1", Kind: "Service"}, {Group: "apps", Version: "v1", Kind: "Deployment"}} {
				key := objectKey(gvk, fmt.Sprintf("bench-%04d", a), "web")
				// Each object's uid is a string of its own, as decoded.
				uid := types.UID(fmt.Sprintf("45663957-caf5-412c-aa3f-%04d%08d", i, a))
				v.put(app, "https://kubernetes.default.svc", key, verdict{desiredHash: digestOf(hash), resourceVersion: fmt.Sprint(a), uid: digestUID(uid),
					generation: 1, metadata: metadataDigest(desired, desired), labelled: true, owned: "8a8f8f5bce633659f90be0ad"})
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(v)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/apps, "B/app")
	}
}

// TestDigestAllocatesNothing checks that telling whether a hash is a
// verdict's, which every comparison does for every object, allocates
// nothing.
func TestDigestAllocatesNothing(t *testing.T) {
	full := desiredHash("desired")
	d := digestOf(full)
	if n := testing.AllocsPerRun(100, func() { d.is(full) }); n != 0 {
		t.Errorf("is allocates %v times on a hash", n)
	}
}

// desiredHash is a hash of the shape hashObject gives with the
// comparison's key: 80 hexadecimal digits.
func desiredHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:]) + hex.EncodeToString(sum[:8])
}
