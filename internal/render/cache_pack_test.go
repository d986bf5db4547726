package render

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/internal/deflate"
)

func TestPackObjectsRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name    string
		objects []*unstructured.Unstructured
	}{
		{name: "none", objects: []*unstructured.Unstructured{}},
		{name: "several", objects: []*unstructured.Unstructured{
			{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "a"},
				"data": map[string]any{"big": strings.Repeat("filler ", 2000), "unicode": "é ✓"}}},
			{Object: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "b"},
				"spec": map[string]any{"replicas": int64(3), "ratio": 0.5, "paused": false, "list": []any{int64(1), "two", nil}}}},
		}},
		// The stream is compressed in blocks of at most 32 KiB: a render
		// of several hundred KiB spans many.
		{name: "larger than a block", objects: manyConfigMaps(40)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			packed, dict, err := packObjects(new(deflate.Family), tc.objects)
			if err != nil {
				t.Fatal(err)
			}
			got, err := unpackObjects(packed, dict)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.objects, got); diff != "" {
				t.Errorf("unpacked objects differ (-packed +unpacked):\n%s", diff)
			}
		})
	}
}

// manyConfigMaps returns n ConfigMaps of some 8 KB of JSON each, every
// one with its own content, as a large chart renders them.
func manyConfigMaps(n int) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, n)
	for i := range out {
		var b strings.Builder
		for j := range 400 {
			fmt.Fprintf(&b, "line %d of map %d\n", j*7919%1000, i)
		}
		out[i] = &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": fmt.Sprintf("cm-%d", i)}, "data": map[string]any{"config": b.String()}}}
	}
	return out
}

func TestPackObjectsCompresses(t *testing.T) {
	cm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "a", "labels": map[string]any{"app.kubernetes.io/name": "web"}},
		"data":     map[string]any{"config": strings.Repeat("key: value\n", 200)}}}
	packed, _, err := packObjects(new(deflate.Family), []*unstructured.Unstructured{cm, cm.DeepCopy()})
	if err != nil {
		t.Fatal(err)
	}
	if len(packed) > 400 {
		t.Errorf("two repetitive ConfigMaps of 2.2 KB packed into %d bytes", len(packed))
	}
	// A render of many blocks keeps most of the saving.
	many := manyConfigMaps(40)
	var raw int
	for _, o := range many {
		data, err := o.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		raw += len(data)
	}
	packed, _, err = packObjects(new(deflate.Family), many)
	if err != nil {
		t.Fatal(err)
	}
	if len(packed) > raw/3 {
		t.Errorf("40 ConfigMaps of %d bytes in all packed into %d bytes", raw, len(packed))
	}
}

func TestUnpackObjectsRefusesCorruptInput(t *testing.T) {
	packed, _, err := packObjects(new(deflate.Family), []*unstructured.Unstructured{{Object: map[string]any{"kind": "ConfigMap"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{nil, []byte("not flate"), packed[:len(packed)/2]} {
		if _, err := unpackObjects(bad, nil); err == nil {
			t.Errorf("unpackObjects(%q) succeeded", bad)
		}
		// The readers are reused: one that failed reads the next input
		// as if new.
		if got, err := unpackObjects(packed, nil); err != nil || len(got) != 1 || got[0].GetKind() != "ConfigMap" {
			t.Errorf("after unpackObjects(%q): unpackObjects(good) = %v, %v", bad, got, err)
		}
	}
}

// w1Render is a render of W1's size (a ConfigMap of 2 KB, a Deployment,
// a Service) in namespace ns.
func w1Render(ns string) []*unstructured.Unstructured {
	return []*unstructured.Unstructured{
		{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "web", "namespace": ns},
			"data": map[string]any{"config": strings.Repeat("key: value\n", 190)}}},
		{Object: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "web", "namespace": ns},
			"spec": map[string]any{"replicas": int64(1), "selector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
				"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "web"}},
					"spec": map[string]any{"containers": []any{map[string]any{"name": "web", "image": "nginx:1.27"}}}}}}},
		{Object: map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "web", "namespace": ns},
			"spec": map[string]any{"selector": map[string]any{"app": "web"}, "ports": []any{map[string]any{"port": int64(80)}}}}},
	}
}

// The renders of Applications made from one template are packed against
// the first: each takes a fraction of what it takes alone, and unpacks
// whole.
func TestPackObjectsOfAlikeRendersShareADictionary(t *testing.T) {
	alone, _, err := packObjects(new(deflate.Family), w1Render("team-b"))
	if err != nil {
		t.Fatal(err)
	}
	var family deflate.Family
	if _, _, err := packObjects(&family, w1Render("team-a")); err != nil {
		t.Fatal(err)
	}
	packed, dict, err := packObjects(&family, w1Render("team-b"))
	if err != nil {
		t.Fatal(err)
	}
	if 2*len(packed) > len(alone) {
		t.Errorf("packed against another render into %d bytes, alone %d: want half at most", len(packed), len(alone))
	}
	got, err := unpackObjects(packed, dict)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(w1Render("team-b"), got); diff != "" {
		t.Errorf("unpacked objects differ (-packed +unpacked):\n%s", diff)
	}
}

// A render of many blocks packs and unpacks against another render; a
// render with a Secret is packed against the dictionary but never becomes
// it.
func TestPackObjectsAgainstADictionary(t *testing.T) {
	var family deflate.Family
	secret := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "db", "namespace": "team-a"}, "data": map[string]any{"password": "c2VjcmV0IHZhbHVlIG9mIHRoZSBkYXRhYmFzZQ=="}}}
	if _, dict, err := packObjects(&family, append(w1Render("team-a"), secret)); err != nil || dict != nil {
		t.Fatalf("the first render: dictionary %v, %v", dict, err)
	}
	if _, dict, err := packObjects(&family, manyConfigMaps(40)); err != nil || dict != nil {
		t.Fatalf("a render with a Secret became the dictionary (%v)", err)
	}
	many := manyConfigMaps(41)[1:]
	for _, objects := range [][]*unstructured.Unstructured{many, append(w1Render("team-b"), secret)} {
		packed, dict, err := packObjects(&family, objects)
		if err != nil {
			t.Fatal(err)
		}
		if dict == nil {
			t.Fatal("no dictionary after a render without a Secret")
		}
		got, err := unpackObjects(packed, dict)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(objects, got); diff != "" {
			t.Errorf("unpacked objects differ (-packed +unpacked):\n%s", diff)
		}
	}
}

// BenchmarkPackObjects measures what the render cache spends to store a
// render: an Application of W1's size alone and against the render of
// another in the cache's dictionary, and a large one (40 ConfigMaps of
// some 8 KB).
func BenchmarkPackObjects(b *testing.B) {
	var primed deflate.Family
	if _, _, err := packObjects(&primed, w1Render("team-a")); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		family  func() *deflate.Family
		objects []*unstructured.Unstructured
	}{
		{"w1-app", func() *deflate.Family { return new(deflate.Family) }, w1Render("shop")},
		{"w1-app-against-another", func() *deflate.Family { return &primed }, w1Render("shop")},
		{"40-configmaps", func() *deflate.Family { return new(deflate.Family) }, manyConfigMaps(40)},
	} {
		b.Run(c.name, func(b *testing.B) {
			var size int
			for b.Loop() {
				packed, _, err := packObjects(c.family(), c.objects)
				if err != nil {
					b.Fatal(err)
				}
				size = len(packed)
			}
			b.ReportMetric(float64(size), "packed-bytes")
		})
	}
}
