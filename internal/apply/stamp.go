package apply

import (
	"encoding/hex"
	"maps"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/jsonsum"
)

// Every object Apply writes carries, in the annotation
// v1alpha1.AnnotationCapstanApplied, the digest of what was written. With
// capstan's own apply still owning every field it wrote (see
// diff.OwnsAll), that digest tells a controller that has just started,
// and remembers nothing, that an object is as it applied it: no dry run is
// needed to know it is in sync.

// Digest names the content of obj as Apply writes it, its stamp aside:
// two objects have the same digest when they have the same fields and
// values. It is empty for an object that cannot be encoded.
func Digest(obj *unstructured.Unstructured) string {
	body := obj.Object
	if _, ok := obj.GetAnnotations()[v1alpha1.AnnotationCapstanApplied]; ok {
		body = withStamp(obj, "").Object
	}
	sum, err := jsonsum.Sum256(body)
	if err != nil {
		return ""
	}
	return hex.EncodeToString(sum[:16])
}

// Stamp returns obj as Apply writes it: carrying its digest, whatever
// value of the annotation obj came with. A Secret carries none: anyone
// who can read its metadata, or capstan's view of it with the values
// masked, could test guesses of its values against the digest. obj is
// left as it was; the copy shares all but its top level, metadata and
// annotations with it.
func Stamp(obj *unstructured.Unstructured) *unstructured.Unstructured {
	if obj.GetKind() == "Secret" && obj.GroupVersionKind().Group == "" {
		if _, ok := obj.GetAnnotations()[v1alpha1.AnnotationCapstanApplied]; !ok {
			return obj
		}
		return withStamp(obj, "")
	}
	return withStamp(obj, Digest(obj))
}

// withStamp is obj with the annotation set to digest, or removed when
// digest is empty.
func withStamp(obj *unstructured.Unstructured, digest string) *unstructured.Unstructured {
	out := maps.Clone(obj.Object)
	meta, _ := out["metadata"].(map[string]any)
	meta = maps.Clone(meta)
	if meta == nil {
		meta = map[string]any{}
	}
	ann, _ := meta["annotations"].(map[string]any)
	ann = maps.Clone(ann)
	if ann == nil {
		ann = map[string]any{}
	}
	if digest == "" {
		delete(ann, v1alpha1.AnnotationCapstanApplied)
	} else {
		ann[v1alpha1.AnnotationCapstanApplied] = digest
	}
	if len(ann) == 0 {
		delete(meta, "annotations")
	} else {
		meta["annotations"] = ann
	}
	out["metadata"] = meta
	return &unstructured.Unstructured{Object: out}
}
