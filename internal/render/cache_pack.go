package render

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"

	"github.com/capstan-cd/capstan/internal/deflate"
)

// packObjects writes objects as JSON, each after its length, into one
// flate stream, compressed against family's dictionary: the one it
// returns, which unpackObjects takes back. A render with a Secret never
// becomes the dictionary, which lasts as long as the cache: its values
// go with its entry.
func packObjects(family *deflate.Family, objects []*unstructured.Unstructured) ([]byte, *deflate.Dict, error) {
	var raw bytes.Buffer
	var n [binary.MaxVarintLen64]byte
	raw.Write(n[:binary.PutUvarint(n[:], uint64(len(objects)))])
	for _, o := range objects {
		data, err := json.Marshal(o.Object)
		if err != nil {
			return nil, nil, fmt.Errorf("%s %s: %w", o.GetKind(), o.GetName(), err)
		}
		raw.Write(n[:binary.PutUvarint(n[:], uint64(len(data)))])
		raw.Write(data)
	}
	if slices.ContainsFunc(objects, isSecret) {
		return family.CompressPrivate(raw.Bytes())
	}
	return family.Compress(raw.Bytes())
}

func isSecret(o *unstructured.Unstructured) bool {
	gvk := o.GroupVersionKind()
	return gvk.Group == "" && gvk.Kind == "Secret"
}

// unpackObjects reads what packObjects wrote against dict, as fresh
// objects. Every pass of an Application reads its render from the cache,
// through a pooled reader.
func unpackObjects(packed []byte, dict *deflate.Dict) ([]*unstructured.Unstructured, error) {
	r, err := deflate.Open(packed, dict)
	if err != nil {
		return nil, err
	}
	defer r.Close()
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
