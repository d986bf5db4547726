package deflate

import (
	"bytes"
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
			got, err := Expand(packed)
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
		if got, err := Expand(corrupt); err == nil && bytes.Equal(got, raw) {
			t.Fatal("a corrupt input expanded to the original")
		}
		got, err := Expand(packed)
		if err != nil {
			t.Fatalf("after a corrupt input: %v", err)
		}
		if !bytes.Equal(got, raw) {
			t.Fatalf("after a corrupt input: expanded %d bytes, want %d", len(got), len(raw))
		}
	}
}
