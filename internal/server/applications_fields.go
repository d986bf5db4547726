package server

import (
	"encoding/json"
	"fmt"
	"strings"
)

// fieldTree is a set of dotted paths ("items.metadata.name") as a tree: a
// node without children keeps everything under it.
type fieldTree map[string]fieldTree

// newFieldTree builds the tree of paths. A path that a shorter one
// contains adds nothing: the shorter keeps it all.
func newFieldTree(paths []string) fieldTree {
	root := fieldTree{}
	for _, p := range paths {
		node := root
		parts := strings.Split(p, ".")
		for i, part := range parts {
			child, seen := node[part]
			if seen && len(child) == 0 {
				break // an ancestor is kept whole
			}
			if !seen || i == len(parts)-1 {
				child = fieldTree{}
				node[part] = child
			}
			node = child
		}
	}
	return root
}

// keep returns v with only the tree's paths. The paths go through lists:
// "items.metadata.name" keeps the name of each item.
func (t fieldTree) keep(v any) any {
	if len(t) == 0 {
		return v
	}
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for key, sub := range t {
			if val, ok := v[key]; ok {
				out[key] = sub.keep(val)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = t.keep(item)
		}
		return out
	}
	return v
}

// selectFields encodes v keeping only the given paths; with none it is v
// as is.
func selectFields(v any, paths []string) (any, error) {
	if len(paths) == 0 {
		return v, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode the answer: %w", err)
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, fmt.Errorf("decode the answer: %w", err)
	}
	return newFieldTree(paths).keep(generic), nil
}
