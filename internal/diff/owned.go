package diff

import (
	"bytes"
	"maps"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// unrecordedMetadata are the metadata fields the API server never records
// an owner for.
var unrecordedMetadata = []string{
	"name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName",
	"generation", "managedFields", "resourceVersion",
}

// OwnsAll reports whether manager's server-side apply, in live's managed
// fields, still owns every field desired sets (null values and an empty
// status aside). The API server moves a field to whoever changes its
// value, by an update or a forced apply, and takes a removed field from
// every owner: so when the manager last applied desired and still owns all
// of it, nobody has changed any of desired's fields since. An object
// written otherwise (an update, a merge patch) has no apply entry to own
// anything, and does not qualify.
func OwnsAll(desired, live *unstructured.Unstructured, manager string) bool {
	owned := appliedBy(live, manager, desired.GetAPIVersion())
	if owned == nil {
		return false
	}
	top := maps.Clone(desired.Object)
	delete(top, "apiVersion")
	delete(top, "kind")
	if meta, ok := top["metadata"].(map[string]any); ok {
		meta = maps.Clone(meta)
		for _, f := range unrecordedMetadata {
			delete(meta, f)
		}
		top["metadata"] = meta
	}
	if status, ok := top["status"].(map[string]any); ok && len(status) == 0 {
		delete(top, "status")
	}
	return ownsFields(owned, top, live.Object)
}

// appliedBy is the set of fields manager's apply of apiVersion owns in
// live, nil when it has no such entry or it cannot be read.
func appliedBy(live *unstructured.Unstructured, manager, apiVersion string) *fieldpath.Set {
	for _, e := range live.GetManagedFields() {
		if e.Manager != manager || e.Operation != metav1.ManagedFieldsOperationApply || e.Subresource != "" || e.FieldsV1 == nil {
			continue
		}
		if e.APIVersion != apiVersion {
			return nil
		}
		set := &fieldpath.Set{}
		if err := set.FromJSON(bytes.NewReader(e.FieldsV1.Raw)); err != nil {
			return nil
		}
		return set
	}
	return nil
}

// ownsFields reports whether set, the fields owned under a map, holds
// every field of m, and all under each; live is the live map.
func ownsFields(set *fieldpath.Set, m, live map[string]any) bool {
	for k, v := range m {
		if v == nil {
			continue // a null in an apply is no field
		}
		if !owns(set, fieldpath.PathElement{FieldName: &k}, v, live[k]) {
			return false
		}
	}
	return true
}

// owns reports whether set holds the field or list item pe, of value v
// (live in the live object), and everything under it. A map or list held
// as a node is owned item by item. One held as a leaf is either owned
// whole (it is atomic) or a node whose every item was taken by others
// (the two read the same in managed fields): only its live value, still
// the one applied, tells it is the first.
func owns(set *fieldpath.Set, pe fieldpath.PathElement, v, live any) bool {
	child, ok := set.Children.Get(pe)
	if !ok {
		if !set.Members.Has(pe) {
			return false
		}
		switch v.(type) {
		case map[string]any, []any:
			return sameJSON(v, live)
		}
		return true
	}
	switch v := v.(type) {
	case map[string]any:
		m, _ := live.(map[string]any)
		return ownsFields(child, v, m)
	case []any:
		l, _ := live.([]any)
		return ownsItems(child, v, l)
	}
	return false
}

// ownsItems reports whether set, the items owned under a list, holds
// every item of list, and all under each, each item in an element of its
// own; live is the live list.
func ownsItems(set *fieldpath.Set, list, live []any) bool {
	taken := map[string]bool{}
	for i, item := range list {
		pe, ok := ownedItem(set, i, item, taken)
		if !ok || !owns(set, pe, item, liveItem(pe, live)) {
			return false
		}
		taken[pe.String()] = true
	}
	return true
}

// liveItem is the item of the live list that pe names, nil when none.
func liveItem(pe fieldpath.PathElement, live []any) any {
	for j, item := range live {
		if elementMatches(pe, j, item) {
			return item
		}
	}
	return nil
}

// ownedItem finds the element of set not yet taken that names the i-th
// item of a list: by its key fields, its value or its index. A key field
// the item leaves out matches any value, since the API server keys an
// item by its defaulted fields (a port's protocol, TCP); exact matches
// are preferred. Two desired items never share an element, so when an
// element went, some item finds none.
func ownedItem(set *fieldpath.Set, i int, item any, taken map[string]bool) (fieldpath.PathElement, bool) {
	var elems []fieldpath.PathElement
	// (The sets' All iterators do not stop when asked to.)
	set.Children.Iterate(func(pe fieldpath.PathElement) { elems = append(elems, pe) })
	set.Members.Iterate(func(pe fieldpath.PathElement) { elems = append(elems, pe) })
	for _, lenient := range []bool{false, true} {
		for _, pe := range elems {
			if !taken[pe.String()] && itemMatches(pe, i, item, lenient) {
				return pe, true
			}
		}
	}
	return fieldpath.PathElement{}, false
}

// itemMatches is elementMatches, with a key field absent from the item
// matching any value when lenient.
func itemMatches(pe fieldpath.PathElement, i int, item any, lenient bool) bool {
	if pe.Key == nil || !lenient {
		return elementMatches(pe, i, item)
	}
	m, ok := item.(map[string]any)
	if !ok {
		return false
	}
	for _, f := range *pe.Key {
		if v, set := m[f.Name]; set && !sameJSON(v, f.Value.Unstructured()) {
			return false
		}
	}
	return true
}
