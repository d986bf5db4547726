package diff

import (
	"bytes"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// removeManaged deletes from m the fields that any of managers owns in
// live's managedFields.
func removeManaged(m map[string]any, live *unstructured.Unstructured, managers []string) error {
	for _, entry := range live.GetManagedFields() {
		if !managersContain(managers, entry.Manager) || entry.FieldsV1 == nil {
			continue
		}
		set := &fieldpath.Set{}
		if err := set.FromJSON(bytes.NewReader(entry.FieldsV1.Raw)); err != nil {
			return fmt.Errorf("read managed fields of %s: %w", entry.Manager, err)
		}
		set.Leaves().Iterate(func(p fieldpath.Path) { removePath(m, p) })
	}
	return nil
}

// removePath deletes the value at a managed-fields path from plain JSON.
func removePath(v any, p fieldpath.Path) {
	if len(p) == 0 {
		return
	}
	pe, last := p[0], len(p) == 1
	switch {
	case pe.FieldName != nil:
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		if last {
			delete(m, *pe.FieldName)
			return
		}
		removePath(m[*pe.FieldName], p[1:])
	default:
		list, ok := v.([]any)
		if !ok {
			return
		}
		for i, item := range list {
			if !elementMatches(pe, i, item) {
				continue
			}
			if last {
				list[i] = nil
				return
			}
			removePath(item, p[1:])
			return
		}
	}
}

// elementMatches reports whether the i-th list item is the one pe names:
// by its key fields, its value, or its index.
func elementMatches(pe fieldpath.PathElement, i int, item any) bool {
	switch {
	case pe.Key != nil:
		m, ok := item.(map[string]any)
		if !ok {
			return false
		}
		for _, f := range *pe.Key {
			if !sameJSON(m[f.Name], f.Value.Unstructured()) {
				return false
			}
		}
		return true
	case pe.Value != nil:
		return sameJSON(item, (*pe.Value).Unstructured())
	case pe.Index != nil:
		return *pe.Index == i
	}
	return false
}

// sameJSON compares two values by their JSON form, so 80 and 80.0 match.
func sameJSON(a, b any) bool {
	aj, err1 := json.Marshal(a)
	bj, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(aj, bj)
}
