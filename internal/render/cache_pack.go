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

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// packObjects writes objects as JSON, each after its length, into one
// flate stream. A writer costs some hundreds of KiB to make: they are
// reused.
func packObjects(objects []*unstructured.Unstructured) ([]byte, error) {
	var buf bytes.Buffer
	w := flateWriters.Get().(*flate.Writer)
	defer flateWriters.Put(w)
	w.Reset(&buf)
	var n [binary.MaxVarintLen64]byte
	if _, err := w.Write(n[:binary.PutUvarint(n[:], uint64(len(objects)))]); err != nil {
		return nil, err
	}
	for _, o := range objects {
		data, err := json.Marshal(o.Object)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", o.GetKind(), o.GetName(), err)
		}
		if _, err := w.Write(n[:binary.PutUvarint(n[:], uint64(len(data)))]); err != nil {
			return nil, err
		}
		if _, err := w.Write(data); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return bytes.Clone(buf.Bytes()), nil
}

// unpackObjects reads what packObjects wrote, as fresh objects. Every
// pass of an Application reads its render from the cache: the readers,
// some 40 KiB each with their window, are reused as the writers are.
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

var flateWriters = sync.Pool{New: func() any {
	// BestSpeed: a cache entry is written once per render, and most of
	// the saving is already there.
	w, _ := flate.NewWriter(nil, flate.BestSpeed)
	return w
}}

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
