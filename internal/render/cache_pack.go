package render

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	kflate "github.com/klauspost/compress/flate"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// packObjects writes objects as JSON, each after its length, into one
// flate stream. The stream is compressed in one call of klauspost/
// compress's stateless deflate, which takes some 275 KB of tables from a
// pool of its own while it runs, where a pooled flate.Writer holds more
// than 1 MiB; the cache packs in every worker at once when a push moves a
// thousand Applications (docs/performance.md, "Memory on 2026-12-04").
func packObjects(objects []*unstructured.Unstructured) ([]byte, error) {
	var raw bytes.Buffer
	var n [binary.MaxVarintLen64]byte
	raw.Write(n[:binary.PutUvarint(n[:], uint64(len(objects)))])
	for _, o := range objects {
		data, err := json.Marshal(o.Object)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", o.GetKind(), o.GetName(), err)
		}
		raw.Write(n[:binary.PutUvarint(n[:], uint64(len(data)))])
		raw.Write(data)
	}
	var packed bytes.Buffer
	packed.Grow(raw.Len()/2 + 64)
	if err := kflate.StatelessDeflate(&packed, raw.Bytes(), true, nil); err != nil {
		return nil, err
	}
	return bytes.Clone(packed.Bytes()), nil
}

// unpackObjects reads what packObjects wrote, as fresh objects. Every
// pass of an Application reads its render from the cache: the readers,
// some 40 KiB each with their window, are reused.
func unpackObjects(packed []byte) ([]*unstructured.Unstructured, error) {
	u := unpackers.Get().(*unpacker)
	defer u.release()
	r, err := u.reset(packed)
	if err != nil {
		return nil, err
	}
	count, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if count > uint64(len(packed))*1032 { // flate expands at most 1032 times
		return nil, errors.New("corrupt object count")
	}
	out := make([]*unstructured.Unstructured, count)
	var data []byte
	for i := range out {
		size, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, err
		}
		if size > uint64(len(packed))*1032 {
			return nil, errors.New("corrupt object size")
		}
		if uint64(cap(data)) < size {
			data = make([]byte, size)
		}
		data = data[:size]
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, err
		}
		// apimachinery's decoder keeps integers int64, as the render made
		// them.
		var m map[string]any
		if err := utiljson.Unmarshal(data, &m); err != nil {
			return nil, err
		}
		out[i] = &unstructured.Unstructured{Object: m}
	}
	return out, nil
}

// unpacker is a flate reader and its buffer, ready for another input.
type unpacker struct {
	src     bytes.Reader
	inflate io.ReadCloser
	buf     *bufio.Reader
}

var unpackers = sync.Pool{New: func() any {
	u := &unpacker{}
	u.inflate = flate.NewReader(&u.src)
	u.buf = bufio.NewReader(u.inflate)
	return u
}}

// release returns the unpacker to the pool, no longer holding packed: a
// render the cache evicts is not kept alive by a reader at rest.
func (u *unpacker) release() {
	u.src.Reset(nil)
	unpackers.Put(u)
}

// reset points the unpacker at packed, forgetting what it read before,
// an input it failed on included.
func (u *unpacker) reset(packed []byte) (*bufio.Reader, error) {
	u.src.Reset(packed)
	if err := u.inflate.(flate.Resetter).Reset(&u.src, nil); err != nil {
		return nil, err
	}
	u.buf.Reset(u.inflate)
	return u.buf, nil
}
