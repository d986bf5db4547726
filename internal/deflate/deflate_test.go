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

// lines is n bytes of text that repeats nowhere within 8 KiB: its first
// and last 8 KiB differ.
func lines(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "line %d of a long document\n", i)
	}
	return b.Bytes()[:n]
}

func TestAFamilysDictionaryIsTheStartOfItsFirstDocument(t *testing.T) {
	var f Family
	for _, raw := range [][]byte{nil, lines(minDict - 1)} {
		if _, _, err := f.Compress(raw); err != nil {
			t.Fatal(err)
		}
	}
	if _, d, err := f.Compress(lines(100)); err != nil || d != nil {
		t.Fatalf("a document of %d bytes or less became the dictionary (%v)", minDict-1, err)
	}
	if _, d, err := f.Compress(lines(100)); err != nil || !bytes.Equal(d.bytes(), lines(100)) {
		t.Fatalf("the dictionary is %q, want the first document of %d bytes or more (%v)", d.bytes(), minDict, err)
	}

	var g Family
	big := lines(3 * maxDict)
	if _, _, err := g.Compress(big); err != nil {
		t.Fatal(err)
	}
	// A document of several deflate blocks, against the dictionary.
	longer := lines(100 << 10)
	packed, d, err := g.Compress(longer)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d.bytes(), big[:maxDict]) {
		t.Errorf("the dictionary is not the first %d bytes of the first document", maxDict)
	}
	if got, err := Expand(packed, d); err != nil || !bytes.Equal(got, longer) {
		t.Errorf("expanded %d bytes, want %d (%v)", len(got), len(longer), err)
	}
}

func TestAPrivateDocumentNeverBecomesTheDictionary(t *testing.T) {
	var f Family
	if _, d, err := f.CompressPrivate(renderOf(0)); err != nil || d != nil {
		t.Fatalf("dictionary %v, %v", d, err)
	}
	if _, d, err := f.Compress(renderOf(1)); err != nil || d != nil {
		t.Fatalf("a private document became the dictionary (%v)", err)
	}
	packed, d, err := f.CompressPrivate(renderOf(2))
	if err != nil || !bytes.Equal(d.bytes(), renderOf(1)) {
		t.Fatalf("a private document was not compressed against the dictionary (%v)", err)
	}
	if got, err := Expand(packed, d); err != nil || !bytes.Equal(got, renderOf(2)) {
		t.Errorf("expanded %d bytes, %v", len(got), err)
	}
}

// A document unlike the dictionary takes about what it takes alone.
func TestADocumentUnlikeTheDictionaryCompressesAsAlone(t *testing.T) {
	var f Family
	if _, _, err := f.Compress(renderOf(0)); err != nil {
		t.Fatal(err)
	}
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	for name, raw := range map[string][]byte{"text": lines(6000), "random": random} {
		alone, err := Compress(raw)
		if err != nil {
			t.Fatal(err)
		}
		packed, d, err := f.Compress(raw)
		if err != nil {
			t.Fatal(err)
		}
		if len(packed) > len(alone)+len(alone)/20+16 {
			t.Errorf("%s: %d bytes against the dictionary, %d alone", name, len(packed), len(alone))
		}
		if got, err := Expand(packed, d); err != nil || !bytes.Equal(got, raw) {
			t.Errorf("%s: expanded %d bytes, %v", name, len(got), err)
		}
	}
}
