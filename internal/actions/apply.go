package actions

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldManager owns the fields an action writes. It is not the
// controller's: a sync applies the desired state as its own manager and
// leaves what an action set (a restart's annotation) in place, where the
// same manager would take it away again.
const FieldManager = "capstan-action"

// Writer writes objects to a cluster.
type Writer interface {
	// MergePatch applies a JSON merge patch to the object obj names.
	MergePatch(ctx context.Context, obj *unstructured.Unstructured, patch []byte) error
	// Create creates obj.
	Create(ctx context.Context, obj *unstructured.Unstructured) error
}

// ClientWriter writes through a controller-runtime client, as
// FieldManager.
type ClientWriter struct{ Client client.Client }

func (c ClientWriter) MergePatch(ctx context.Context, obj *unstructured.Unstructured, patch []byte) error {
	return c.Client.Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch), client.FieldOwner(FieldManager))
}

func (c ClientWriter) Create(ctx context.Context, obj *unstructured.Unstructured) error {
	return c.Client.Create(ctx, obj, client.FieldOwner(FieldManager))
}

// Apply writes ops: a patch as a JSON merge patch from original (the
// object the action ran on, as read) to the operation's object, guarded by
// original's resourceVersion so that an object changed since it was read
// is not overwritten; a create as a create, in original's namespace when
// the new object names none.
func Apply(ctx context.Context, c Writer, original *unstructured.Unstructured, ops []Operation) error {
	for _, op := range ops {
		switch op.Type {
		case OpPatch:
			if err := patch(ctx, c, original, op.Object); err != nil {
				return err
			}
		case OpCreate:
			obj := op.Object.DeepCopy()
			if obj.GetNamespace() == "" {
				obj.SetNamespace(original.GetNamespace())
			}
			if err := c.Create(ctx, obj); err != nil {
				return fmt.Errorf("create %s: %w", describe(obj), err)
			}
		default:
			return fmt.Errorf("unknown operation %q on %s", op.Type, describe(op.Object))
		}
	}
	return nil
}

func patch(ctx context.Context, c Writer, original, changed *unstructured.Unstructured) error {
	base := original.Object
	if !sameObject(original, changed) {
		// The list form may patch another object; its patch is what
		// the script returned, taken whole.
		base = nil
	}
	p, _ := mergePatch(base, changed.Object).(map[string]any)
	if len(p) == 0 {
		return nil
	}
	meta, _ := p["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		p["metadata"] = meta
	}
	if base != nil {
		meta["resourceVersion"] = original.GetResourceVersion()
	}
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode the patch of %s: %w", describe(changed), err)
	}
	target := &unstructured.Unstructured{}
	target.SetGroupVersionKind(changed.GroupVersionKind())
	target.SetNamespace(changed.GetNamespace())
	target.SetName(changed.GetName())
	if err := c.MergePatch(ctx, target, data); err != nil {
		return fmt.Errorf("patch %s: %w", describe(changed), err)
	}
	return nil
}

func sameObject(a, b *unstructured.Unstructured) bool {
	return a.GroupVersionKind() == b.GroupVersionKind() && a.GetNamespace() == b.GetNamespace() && a.GetName() == b.GetName()
}

// mergePatch is the JSON merge patch (RFC 7386) that turns from into to:
// objects recursively, a removed key as null, anything else whole.
func mergePatch(from, to any) any {
	fm, fok := from.(map[string]any)
	tm, tok := to.(map[string]any)
	if !fok || !tok {
		return to
	}
	out := map[string]any{}
	for k, tv := range tm {
		fv, had := fm[k]
		if had && reflect.DeepEqual(fv, tv) {
			continue
		}
		if !had {
			out[k] = tv
			continue
		}
		out[k] = mergePatch(fv, tv)
	}
	for k := range fm {
		if _, kept := tm[k]; !kept {
			out[k] = nil
		}
	}
	return out
}
