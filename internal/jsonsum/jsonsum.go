// Package jsonsum digests decoded JSON, an unstructured object's
// map[string]any, as the SHA-256 of the bytes encoding/json's Marshal
// makes of it, without making them: the encoding goes into the hash a
// buffer at a time. capstan digests each desired object at every pass
// (the verdicts' key) and each object it applies (its applied stamp);
// Marshal reflects over every value and allocates the whole document,
// each map's sorted keys and more, to be thrown away at once.
//
// What the digest covers is defined by Marshal: a value of a kind this
// package does not write itself (a float, a string that needs escaping, a
// type of its own) is handed to Marshal, and its bytes go into the hash
// as they are. The digests are persisted (in objects' annotations and
// the Application's status), so they must not change with this package.
package jsonsum

import (
	"crypto/sha256"
	"encoding/json"
	"hash"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// flushAt is how much of the encoding is buffered before it goes into
// the hash.
const flushAt = 512

// Sum256 is sha256.Sum256 of json.Marshal(v), with Marshal's error for a
// value it cannot encode (a NaN, a channel).
func Sum256(v any) ([sha256.Size]byte, error) {
	e := encoders.Get().(*encoder)
	defer func() {
		// The pool keeps no part of the object (a Secret's data).
		clear(e.keys[:cap(e.keys)])
		clear(e.buf[:cap(e.buf)])
		e.h.Reset()
		encoders.Put(e)
	}()
	e.h.Reset()
	e.buf, e.keys, e.depth = e.buf[:0], e.keys[:0], 0
	var sum [sha256.Size]byte
	if err := e.value(v); err != nil {
		return sum, err
	}
	e.flush()
	e.h.Sum(sum[:0])
	return sum, nil
}

var encoders = sync.Pool{New: func() any {
	return &encoder{h: sha256.New(), buf: make([]byte, 0, 2*flushAt)}
}}

// encoder writes a value's encoding into h through buf; keys holds the
// sorted keys of the maps being written, each nested map's after its
// parent's.
type encoder struct {
	h    hash.Hash
	buf  []byte
	keys []string
	// depth counts the maps and lists being written: past maxDepth, the
	// rest is Marshal's, which finds a value that holds itself.
	depth int
}

// maxDepth is deeper than any object decoded from a manifest.
const maxDepth = 1000

func (e *encoder) flush() {
	e.h.Write(e.buf)
	e.buf = e.buf[:0]
}

func (e *encoder) value(v any) error {
	// The maps and lists go on as v, already an interface: a list made
	// one again would be allocated.
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case int64:
		e.buf = strconv.AppendInt(e.buf, x, 10)
	case string:
		return e.str(x)
	case map[string]any:
		if x == nil {
			e.buf = append(e.buf, "null"...)
			break
		}
		return e.nested(v)
	case []any:
		if x == nil {
			e.buf = append(e.buf, "null"...)
			break
		}
		return e.nested(v)
	default:
		return e.marshal(v)
	}
	if len(e.buf) >= flushAt {
		e.flush()
	}
	return nil
}

// nested writes v, a map or a list not nil, one level deeper: past
// maxDepth, Marshal writes the rest (and finds a value that holds itself).
func (e *encoder) nested(v any) error {
	if e.depth >= maxDepth {
		return e.marshal(v)
	}
	e.depth++
	defer func() { e.depth-- }()
	if m, ok := v.(map[string]any); ok {
		return e.object(m)
	}
	return e.list(v.([]any))
}

// list writes l.
func (e *encoder) list(l []any) error {
	e.buf = append(e.buf, '[')
	for i, item := range l {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if err := e.value(item); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, ']')
	return nil
}

// object writes m with its keys in the order Marshal sorts them: by their
// bytes.
func (e *encoder) object(m map[string]any) error {
	mark := len(e.keys)
	for k := range m {
		e.keys = append(e.keys, k)
	}
	// The nested maps append their keys after these; should that move
	// e.keys, this slice still holds what it held.
	keys := e.keys[mark:]
	slices.Sort(keys)
	e.buf = append(e.buf, '{')
	for i, k := range keys {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if err := e.str(k); err != nil {
			return err
		}
		e.buf = append(e.buf, ':')
		if err := e.value(m[k]); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	e.keys = e.keys[:mark]
	return nil
}

// str writes s as Marshal does.
func (e *encoder) str(s string) error {
	if !plain(s) {
		return e.marshal(s)
	}
	// A long string goes in in pieces: the pooled buffer stays small.
	e.buf = append(e.buf, '"')
	for len(s) > flushAt {
		e.buf = append(e.buf, s[:flushAt]...)
		s = s[flushAt:]
		e.flush()
	}
	e.buf = append(append(e.buf, s...), '"')
	if len(e.buf) >= flushAt {
		e.flush()
	}
	return nil
}

// marshal writes what Marshal makes of v.
func (e *encoder) marshal(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	e.flush()
	e.h.Write(data)
	return nil
}

// plain reports whether s is written as it is between quotes. Marshal
// escapes control characters, the quote, the backslash, <, > and & (for
// HTML), U+2028 and U+2029 (for JavaScript), and replaces bytes that are
// not UTF-8; DEL it writes as it is, but it is left to Marshal here.
func plain(s string) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			ascii = false
		case c < 0x20 || c == 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return ascii || utf8.ValidString(s) && !strings.ContainsAny(s, "\u2028\u2029")
}
