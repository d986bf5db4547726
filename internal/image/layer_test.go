package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
)

// TestLayerIsReproducible: the same binary gives the same layer, byte for
// byte, so a rebuild of a release pushes nothing new.
func TestLayerIsReproducible(t *testing.T) {
	a, err := newLayer([]byte("binary"), []byte("worker"), []byte("ca"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := newLayer([]byte("binary"), []byte("worker"), []byte("ca"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.gzipped, b.gzipped) || a.diffID != b.diffID {
		t.Error("two layers of the same inputs differ")
	}
	zr, err := gzip.NewReader(bytes.NewReader(a.gzipped))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if got := digest.FromBytes(raw); got != a.diffID {
		t.Errorf("diff ID %s, want the digest of the uncompressed tar %s", a.diffID, got)
	}
}

func TestLayerEntries(t *testing.T) {
	tests := []struct {
		name string
		ca   []byte
		want []string
	}{
		{"binaries only", nil, []string{
			"usr/ 755", "usr/local/ 755", "usr/local/bin/ 755", "usr/local/bin/capstan 755", "usr/local/bin/capstan-render 755", "tmp/ 1777",
		}},
		{"with CA bundle", []byte("ca"), []string{
			"usr/ 755", "usr/local/ 755", "usr/local/bin/ 755", "usr/local/bin/capstan 755", "usr/local/bin/capstan-render 755",
			"etc/ 755", "etc/ssl/ 755", "etc/ssl/certs/ 755", "etc/ssl/certs/ca-certificates.crt 644", "tmp/ 1777",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := newLayer([]byte("binary"), []byte("worker"), tt.ca)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range readLayer(t, l.gzipped) {
				h := e.header
				if h.Uid != 0 || h.Gid != 0 || h.ModTime.Unix() != 0 {
					t.Errorf("%s: owner %d:%d, time %v", h.Name, h.Uid, h.Gid, h.ModTime)
				}
				got = append(got, fmt.Sprintf("%s %o", h.Name, h.Mode))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("layer entries (-want +got):\n%s", diff)
			}
		})
	}
}

// layerEntry is one entry of a layer, with its content.
type layerEntry struct {
	header *tar.Header
	data   []byte
}

// readLayer reads the entries of a gzipped tar layer.
func readLayer(t *testing.T, gzipped []byte) []layerEntry {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gzipped))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out []layerEntry
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, layerEntry{header: h, data: data})
	}
}
