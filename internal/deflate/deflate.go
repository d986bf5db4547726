// Package deflate compresses what capstan keeps in memory for a while and
// reads back often: the renders of its cache, the statuses it holds. It
// compresses in one stateless call and expands through pooled readers.
package deflate

import (
	"bufio"
	"bytes"
	"compress/flate"
	"io"
	"sync"

	kflate "github.com/klauspost/compress/flate"
)

// Compress returns raw deflated, in a slice of its own. klauspost/
// compress's stateless deflate takes some 275 KB of tables from a pool of
// its own while it runs, where a pooled flate.Writer holds more than
// 1 MiB; compressions run in every worker at once when a push moves a
// thousand Applications (docs/performance.md, "Memory on 2026-12-04").
func Compress(raw []byte) ([]byte, error) {
	var packed bytes.Buffer
	packed.Grow(len(raw)/2 + 64)
	if err := kflate.StatelessDeflate(&packed, raw, true, nil); err != nil {
		return nil, err
	}
	return bytes.Clone(packed.Bytes()), nil
}

// Reader expands what Compress wrote. Its readers, some 40 KiB each with
// their window, are reused: Close returns it to the pool.
type Reader struct {
	*bufio.Reader
	src     bytes.Reader
	inflate io.ReadCloser
}

var readers = sync.Pool{New: func() any {
	r := &Reader{}
	r.inflate = flate.NewReader(&r.src)
	r.Reader = bufio.NewReader(r.inflate)
	return r
}}

// Open returns a Reader of packed, forgetting whatever the pooled reader
// read before, an input it failed on included.
func Open(packed []byte) (*Reader, error) {
	r := readers.Get().(*Reader)
	r.src.Reset(packed)
	if err := r.inflate.(flate.Resetter).Reset(&r.src, nil); err != nil {
		r.Close()
		return nil, err
	}
	r.Reader.Reset(r.inflate)
	return r, nil
}

// Close returns the Reader to the pool, no longer holding its input: what
// a cache evicts is not kept alive by a reader at rest.
func (r *Reader) Close() {
	r.src.Reset(nil)
	readers.Put(r)
}

// Expand returns packed expanded whole.
func Expand(packed []byte) ([]byte, error) {
	r, err := Open(packed)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	out := bytes.NewBuffer(make([]byte, 0, 4*len(packed)))
	if _, err := out.ReadFrom(r); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
