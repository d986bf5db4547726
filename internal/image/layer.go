package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"path"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
)

// layer is the image's one filesystem layer, compressed, with the digest
// of its uncompressed tar (the diff ID the configuration lists).
type layer struct {
	gzipped []byte
	diffID  digest.Digest
}

// entry is one file or directory of the layer.
type entry struct {
	name string
	mode int64
	data []byte
	dir  bool
}

// caPath is where Go's crypto/x509 looks first for root certificates on
// Linux.
const caPath = "/etc/ssl/certs/ca-certificates.crt"

// newLayer makes the layer: the binary at Path, the render worker at
// WorkerPath, the CA bundle when given, and a world-writable /tmp for
// caches when no volume is mounted there. Every timestamp and owner is
// fixed, so the same inputs give the same digest.
func newLayer(binary, worker, caData []byte) (layer, error) {
	entries := parents(Path)
	entries = append(entries, entry{name: Path, mode: 0o755, data: binary}, entry{name: WorkerPath, mode: 0o755, data: worker})
	if caData != nil {
		entries = append(entries, parents(caPath)...)
		entries = append(entries, entry{name: caPath, mode: 0o644, data: caData})
	}
	entries = append(entries, entry{name: "/tmp", mode: 0o1777, dir: true})
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	seen := map[string]bool{}
	for _, e := range entries {
		name := strings.TrimPrefix(e.name, "/")
		if seen[name] {
			continue
		}
		seen[name] = true
		h := &tar.Header{Name: name, Mode: e.mode, ModTime: time.Unix(0, 0), Format: tar.FormatPAX, Typeflag: tar.TypeReg, Size: int64(len(e.data))}
		if e.dir {
			h.Name, h.Typeflag, h.Size = name+"/", tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return layer{}, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return layer{}, err
		}
	}
	if err := tw.Close(); err != nil {
		return layer{}, err
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return layer{}, err
	}
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return layer{}, err
	}
	if err := zw.Close(); err != nil {
		return layer{}, err
	}
	return layer{gzipped: gz.Bytes(), diffID: digest.FromBytes(raw.Bytes())}, nil
}

// parents returns the directories above file, outermost first.
func parents(file string) []entry {
	var out []entry
	for dir := path.Dir(file); dir != "/"; dir = path.Dir(dir) {
		out = append([]entry{{name: dir, mode: 0o755, dir: true}}, out...)
	}
	return out
}
