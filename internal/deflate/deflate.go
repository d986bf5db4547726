// Package deflate compresses what capstan keeps in memory for a while and
// reads back often: the renders of its cache, the statuses it holds. It
// compresses in one stateless call and expands through pooled readers.
//
// Documents of one kind resemble each other (the renders of Applications
// made from one template, the statuses of Applications of five objects),
// and deflate alone finds what a document repeats of itself, not what it
// shares with the others. A Family compresses each document against a
// dictionary, the start of the first document it was given (see Family):
// a render of W1's size packs into 274 bytes alone and 76 against another
// Application's (render.BenchmarkPackObjects), the status held for an
// Application of five objects into 602 and 155
// (application.BenchmarkHeldStatusSize).
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
func Compress(raw []byte) ([]byte, error) { return compress(raw, nil) }

func compress(raw []byte, dict *Dict) ([]byte, error) {
	var packed bytes.Buffer
	packed.Grow(len(raw)/2 + 64)
	if err := kflate.StatelessDeflate(&packed, raw, true, dict.bytes()); err != nil {
		return nil, err
	}
	return bytes.Clone(packed.Bytes()), nil
}

// maxDict is the most of a dictionary the stateless deflate reads (its
// last 8 KiB).
const maxDict = 8 << 10

// minDict is the least a document must hold to become a dictionary.
const minDict = 64

// A Dict is a preset dictionary: what was compressed against one expands
// only with it. It never changes.
type Dict struct{ b []byte }

func (d *Dict) bytes() []byte {
	if d == nil {
		return nil
	}
	return d.b
}

// A Family compresses documents alike against one dictionary: a copy of
// the first 8 KiB of the first document of at least 64 bytes it
// compresses, that document itself compressed alone. The dictionary lasts
// as long as the Family: a document that must not outlive its own use
// (one holding a Secret) is compressed with CompressPrivate, which never
// makes it the dictionary. A document unlike the dictionary compresses
// about as well as alone. The zero Family is ready to use, by several
// goroutines at once.
type Family struct {
	mu   sync.Mutex
	dict *Dict
}

// Compress returns raw deflated, and the dictionary it was compressed
// against (nil for none), which Open and Expand take back. Against a
// dictionary, the deflate also takes a buffer of the dictionary and the
// first 24 KiB of raw while it runs.
func (f *Family) Compress(raw []byte) ([]byte, *Dict, error) {
	return f.compress(raw, true)
}

// CompressPrivate is Compress for a document that must not become the
// dictionary.
func (f *Family) CompressPrivate(raw []byte) ([]byte, *Dict, error) {
	return f.compress(raw, false)
}

func (f *Family) compress(raw []byte, offer bool) ([]byte, *Dict, error) {
	f.mu.Lock()
	dict := f.dict
	if dict == nil && offer && len(raw) >= minDict {
		f.dict = &Dict{b: bytes.Clone(raw[:min(len(raw), maxDict)])}
	}
	f.mu.Unlock()
	packed, err := compress(raw, dict)
	if err != nil {
		return nil, nil, err
	}
	return packed, dict, nil
}

// Reader expands what Compress or a Family wrote. Its readers, some
// 40 KiB each with their window, are reused: Close returns it to the
// pool.
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

// Open returns a Reader of packed, compressed against dict (nil for none),
// forgetting whatever the pooled reader read before, an input it failed on
// included.
func Open(packed []byte, dict *Dict) (*Reader, error) {
	r := readers.Get().(*Reader)
	r.src.Reset(packed)
	if err := r.inflate.(flate.Resetter).Reset(&r.src, dict.bytes()); err != nil {
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

// Expand returns packed, compressed against dict (nil for none), expanded
// whole.
func Expand(packed []byte, dict *Dict) ([]byte, error) {
	r, err := Open(packed, dict)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	grow := 4 // deflate alone takes a document to a quarter or so
	if dict != nil {
		grow = 16
	}
	out := bytes.NewBuffer(make([]byte, 0, grow*len(packed)))
	if _, err := out.ReadFrom(r); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
