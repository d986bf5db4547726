// Package intern keeps one copy of strings that many cached objects
// repeat (namespaces, kinds, label keys, repository URLs, statuses), so
// that a cache of thousands of objects holds each of them once instead of
// once per object.
//
// A Table is bounded: when it holds Limit strings it starts afresh, so the
// strings of objects long gone are not kept forever. What objects already
// hold stays valid; only later objects stop sharing with earlier ones.
package intern

import (
	"reflect"
	"slices"
	"sync"
)

// Limit is how many strings a Table holds before it starts afresh.
const Limit = 1 << 14

// MaxLen is the longest string a Table shares: longer ones (messages,
// manifests) are seldom repeated exactly, and would fill it.
const MaxLen = 256

// Table holds one copy of each string it was given. The zero Table is
// ready to use, by several goroutines at once.
type Table struct {
	mu      sync.Mutex
	strings map[string]string
}

// String returns the table's copy of s.
func (t *Table) String(s string) string {
	if s == "" || len(s) > MaxLen {
		return s
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.string(s)
}

func (t *Table) string(s string) string {
	if c, ok := t.strings[s]; ok {
		return c
	}
	if t.strings == nil || len(t.strings) >= Limit {
		t.strings = make(map[string]string, 256)
	}
	t.strings[s] = s
	return s
}

// Len is how many strings the table holds.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.strings)
}

// Fields replaces every string that ptr (a pointer to a struct) reaches
// through exported fields, pointers, slices and arrays with the table's
// copy. Map keys and values, interfaces and unexported fields are left
// as they are. The object must not be in use elsewhere while it changes.
//
// Fields also gives back the spare room of each slice it reaches: a
// decoder grows a slice by doubling, so a list of five structs decoded
// from JSON holds room for eight, which a cached object would keep for
// as long as it is cached.
//
// unique names the fields (by their Go name, in any struct) whose strings
// are seldom the same in two objects, such as a resourceVersion or a UID:
// they are left as they are, so that the table holds what is shared, not
// one string per object and version until it starts afresh.
func (t *Table) Fields(ptr any, unique ...string) {
	v := reflect.ValueOf(ptr)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.walk(v.Elem(), unique)
}

func (t *Table) walk(v reflect.Value, unique []string) {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); s != "" && len(s) <= MaxLen && v.CanSet() {
			v.SetString(t.string(s))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			t.walk(v.Elem(), unique)
		}
	case reflect.Struct:
		typ := v.Type()
		for i := range v.NumField() {
			if f := typ.Field(i); f.IsExported() && !slices.Contains(unique, f.Name) {
				t.walk(v.Field(i), unique)
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // bytes: raw JSON, not strings
		}
		if v.Kind() == reflect.Slice && v.Cap() > v.Len() && v.CanSet() {
			trimmed := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
			reflect.Copy(trimmed, v)
			v.Set(trimmed)
		}
		for i := range v.Len() {
			t.walk(v.Index(i), unique)
		}
	}
}
