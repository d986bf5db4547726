package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/internal/appcache"
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

// part is the tree of what to keep under key, and whether anything is.
func (t fieldTree) part(key string) (fieldTree, bool) {
	if len(t) == 0 {
		return nil, true
	}
	sub, ok := t[key]
	return sub, ok
}

// encode is v as JSON, with only the tree's paths.
func (t fieldTree) encode(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil || len(t) == 0 {
		return raw, err
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, err
	}
	return json.Marshal(t.keep(generic))
}

// writeAppList answers with a list in Argo CD's shape,
// {"metadata":{...},"items":[...]}, keeping only the paths of fields
// when given. The items are expanded, encoded and written one at a time,
// so that a list of thousands of Applications is never held whole, and
// expanded only when their status is asked for.
func writeAppList(w http.ResponseWriter, meta metav1.ListMeta, items []*appcache.Application, fields []string) error {
	tree := newFieldTree(fields)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	out := bufio.NewWriterSize(w, 64<<10)
	_ = out.WriteByte('{')
	sub, keepMeta := tree.part("metadata")
	if keepMeta {
		data, err := sub.encode(meta)
		if err != nil {
			return fmt.Errorf("encode the list's metadata: %w", err)
		}
		_, _ = out.WriteString(`"metadata":`)
		_, _ = out.Write(data)
	}
	if sub, ok := tree.part("items"); ok {
		if keepMeta {
			_ = out.WriteByte(',')
		}
		_, _ = out.WriteString(`"items":[`)
		_, withStatus := sub.part("status")
		for i, cached := range items {
			app := cached.Head()
			if withStatus {
				var err error
				if app, err = cached.Expand(); err != nil {
					return err
				}
			}
			data, err := sub.encode(app)
			if err != nil {
				return fmt.Errorf("encode Application %s: %w", app.Name, err)
			}
			if i > 0 {
				_ = out.WriteByte(',')
			}
			if _, err := out.Write(data); err != nil {
				return err
			}
		}
		_ = out.WriteByte(']')
	}
	_, _ = out.WriteString("}\n")
	return out.Flush()
}
