package server

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/internal/diff"
)

// statePair is one object of an app: where it is, and what the app wants
// it to be (nil when the app no longer renders it).
type statePair struct {
	ref    resourceRef
	target *unstructured.Unstructured
}

// pairStates lists the desired objects in their order, then the objects
// the status lists that the render no longer gives (those to prune). An
// object is the same whatever the API version it is named by.
func pairStates(objs []*unstructured.Unstructured, status []resourceRef) []statePair {
	seen := map[resourceRef]bool{}
	out := make([]statePair, 0, len(objs)+len(status))
	for _, obj := range objs {
		gvk := obj.GroupVersionKind()
		ref := resourceRef{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind, Namespace: obj.GetNamespace(), Name: obj.GetName()}
		key := ref
		key.Version = ""
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, statePair{ref: ref, target: obj})
	}
	for _, ref := range status {
		key := ref
		key.Version = ""
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, statePair{ref: ref})
	}
	return out
}

// compare reports whether live differs from target: an object to create
// or to prune differs, one neither wanted nor there does not.
func compare(ctx context.Context, target, live *unstructured.Unstructured) (bool, error) {
	switch {
	case target == nil:
		return live != nil, nil
	case live == nil:
		return true, nil
	}
	res, err := diff.Compare(ctx, target, live, nil)
	return res.Modified, err
}
