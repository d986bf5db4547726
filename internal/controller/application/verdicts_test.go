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
)

// TestAppVerdictsAcrossTheirTwoForms checks that an Application's
// verdicts answer the same in a slice and, past fewVerdicts, in a map:
// each key its latest verdict, nothing forgotten or dropped by retain.
func TestAppVerdictsAcrossTheirTwoForms(t *testing.T) {
	for _, n := range []int{1, fewVerdicts, fewVerdicts + 1, 3 * fewVerdicts} {
		t.Run(fmt.Sprint(n, " objects"), func(t *testing.T) {
			var v verdicts
			keys := make([]string, n)
			for i := range keys {
				keys[i] = fmt.Sprintf("https://kubernetes.default.svc|/ConfigMap|team/c%02d", i)
				v.put("argocd/web", keys[i], verdict{resourceVersion: "1"})
			}
			for i, k := range keys {
				v.put("argocd/web", k, verdict{resourceVersion: fmt.Sprint(i + 2)})
			}
			v.put("argocd/other", keys[0], verdict{resourceVersion: "other"})
			if got := v.m["argocd/web"].len(); got != n {
				t.Fatalf("%d verdicts kept, want %d", got, n)
			}
			if inMap := v.m["argocd/web"].many != nil; inMap != (n > fewVerdicts) {
				t.Fatalf("%d verdicts held in a map: %v", n, inMap)
			}
			for i, k := range keys {
				if e, ok := v.get("argocd/web", k); !ok || e.resourceVersion != fmt.Sprint(i+2) {
					t.Errorf("verdict on %s = %+v, %v; want the latest, version %d", k, e, ok, i+2)
				}
			}
			v.forget("argocd/web", keys[0])
			if _, ok := v.get("argocd/web", keys[0]); ok {
				t.Errorf("a forgotten verdict is still there")
			}
			keep := map[string]bool{}
			for _, k := range keys[1:] {
				if len(keep) < (n-1)/2 {
					keep[k] = true
				}
			}
			v.retain("argocd/web", keep)
			var kept []string
			v.m["argocd/web"].each(func(key string, _ verdict) { kept = append(kept, key) })
			if want := slices.Sorted(maps.Keys(keep)); !slices.Equal(slices.Sorted(slices.Values(kept)), want) {
				t.Errorf("retained %v, want %v", kept, want)
			}
			v.put("argocd/web", keys[0], verdict{resourceVersion: "back"})
			if e, ok := v.get("argocd/web", keys[0]); !ok || e.resourceVersion != "back" || v.m["argocd/web"].len() != len(keep)+1 {
				t.Errorf("a verdict put after retain = %+v, %v, with %d kept; want it among %d", e, ok, v.m["argocd/web"].len(), len(keep)+1)
			}
			v.forget("argocd/web", keys[0])
			if e, ok := v.get("argocd/other", keys[0]); !ok || e.resourceVersion != "other" {
				t.Errorf("another Application's verdict = %+v, %v; want it untouched", e, ok)
			}
			v.retain("argocd/web", nil)
			if _, ok := v.m["argocd/web"]; ok {
				t.Errorf("an Application without verdicts is still held")
			}
		})
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
			for _, kind := range []string{"/ServiceAccount", "/ConfigMap", "rbac.authorization.k8s.io/Role", "/Service", "apps/Deployment"} {
				key := fmt.Sprintf("https://kubernetes.default.svc|%s|bench-%04d/web", kind, a)
				v.put(app, key, verdict{desiredHash: digestOf(hash), resourceVersion: fmt.Sprint(a), uid: "45663957-caf5-412c-aa3f-7a26a0011078",
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
