package deflate

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestExpandReturnsWhatCompressTook(t *testing.T) {
	random := make([]byte, 256<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	for _, tc := range []struct {
		name string
		raw  []byte
	}{
		{"nothing", nil},
		{"a status", []byte(`{"sync":{"status":"Synced"},"health":{"status":"Progressing"}}`)},
		{"repetitive", []byte(strings.Repeat(`{"kind":"ConfigMap","name":"settings"}`, 10000))},
		{"random", random},
	} {
		t.Run(tc.name, func(t *testing.T) {
			packed, err := Compress(tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Expand(packed, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.raw) {
				t.Errorf("expanded %d bytes, want the %d compressed", len(got), len(tc.raw))
			}
		})
	}
}

// A pooled reader that failed on a corrupt input reads the next one whole.
func TestAReaderRecoversFromACorruptInput(t *testing.T) {
	raw := []byte(strings.Repeat("held status ", 500))
	packed, err := Compress(raw)
	if err != nil {
		t.Fatal(err)
	}
	corrupt := bytes.Clone(packed)
	for i := range corrupt[:len(corrupt)/2] {
		corrupt[i] ^= 0xa5
	}
	for range 3 {
		if got, err := Expand(corrupt, nil); err == nil && bytes.Equal(got, raw) {
			t.Fatal("a corrupt input expanded to the original")
		}
		got, err := Expand(packed, nil)
		if err != nil {
			t.Fatalf("after a corrupt input: %v", err)
		}
		if !bytes.Equal(got, raw) {
			t.Fatalf("after a corrupt input: expanded %d bytes, want %d", len(got), len(raw))
		}
	}
}

// renderOf is a render of Application n: the objects of one template, in
// a namespace of their own.
func renderOf(n int) []byte {
	ns := fmt.Sprintf("team-%04d", n)
	var b strings.Builder
	for _, kind := range []string{"ServiceAccount", "ConfigMap", "Role", "Service", "Deployment"} {
		fmt.Fprintf(&b, `{"apiVersion":"v1","kind":%q,"metadata":{"name":"web","namespace":%q,"labels":{"app.kubernetes.io/instance":"app-%04d"}},"data":{"settings":%q}}`,
			kind, ns, n, strings.Repeat("a modest configuration line\n", 20))
	}
	return []byte(b.String())
}

func TestAFamilyCompressesAgainstItsFirstDocument(t *testing.T) {
	var f Family
	first, dict, err := f.Compress(renderOf(0))
	if err != nil {
		t.Fatal(err)
	}
	if dict != nil {
		t.Error("the first document was compressed against a dictionary")
	}
	if got, err := Expand(first, dict); err != nil || !bytes.Equal(got, renderOf(0)) {
		t.Fatalf("the first document: expanded %d bytes, %v", len(got), err)
	}
	alone, err := Compress(renderOf(1))
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n < 20; n++ {
		packed, d, err := f.Compress(renderOf(n))
		if err != nil {
			t.Fatal(err)
		}
		if d == nil {
			t.Fatalf("document %d: no dictionary", n)
		}
		got, err := Expand(packed, d)
		if err != nil || !bytes.Equal(got, renderOf(n)) {
			t.Fatalf("document %d: expanded %d bytes, %v", n, len(got), err)
		}
		if n == 1 && 2*len(packed) > len(alone) {
			t.Errorf("against the dictionary %d bytes, alone %d: want half at most", len(packed), len(alone))
		}
	}
	// Without its dictionary, a document does not expand to itself.
	packed, d, err := f.Compress(renderOf(7))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Expand(packed, nil); err == nil && bytes.Equal(got, renderOf(7)) {
		t.Error("a document expanded without its dictionary")
	}
	if got, err := Expand(packed, d); err != nil || !bytes.Equal(got, renderOf(7)) {
		t.Errorf("after a failed expansion: %d bytes, %v", len(got), err)
	}
}

func TestAFamilyTakesNoShortOrEmptyDictionary(t *testing.T) {
	var f Family
	for _, raw := range [][]byte{nil, []byte(`{"a":1}`)} {
		if _, d, err := f.Compress(raw); err != nil || d != nil {
			t.Fatalf("%q: dictionary %v, %v", raw, d, err)
		}
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 2*maxDict/16)
	if _, _, err := f.Compress(big); err != nil {
		t.Fatal(err)
	}
	packed, d, err := f.Compress(big)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(d.bytes()); n != maxDict {
		t.Errorf("dictionary of %d bytes, want %d", n, maxDict)
	}
	if got, err := Expand(packed, d); err != nil || !bytes.Equal(got, big) {
		t.Errorf("expanded %d bytes, %v", len(got), err)
	}
}
