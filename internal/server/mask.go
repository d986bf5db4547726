package server

import (
	"encoding/base64"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/internal/diff"
	"github.com/capstan-cd/capstan/internal/settings"
)

// annotationMask replaces the value of a sensitive annotation.
const annotationMask = "++++++++"

// masked returns copies of objs safe to show: Secret data and stringData
// values replaced by runs of '+' (equal values, equal masks, across all of
// objs, so a live and a desired state still show which keys differ), and
// the values of the annotations named by sensitive replaced by
// annotationMask. Nil objects stay nil.
func masked(sensitive []string, objs ...*unstructured.Unstructured) []*unstructured.Unstructured {
	encoded := make([]*unstructured.Unstructured, len(objs))
	for i, obj := range objs {
		encoded[i] = encodeStringData(obj)
	}
	out := diff.MaskSecrets(encoded...)
	if len(sensitive) == 0 {
		return out
	}
	for i, obj := range out {
		if obj == nil {
			continue
		}
		ann := obj.GetAnnotations()
		hit := false
		for _, k := range sensitive {
			if _, ok := ann[k]; ok {
				hit = true
			}
		}
		if !hit {
			continue
		}
		if obj == encoded[i] {
			// MaskSecrets hands non-Secrets back as they are: copy
			// before writing.
			obj = obj.DeepCopy()
			out[i] = obj
			ann = obj.GetAnnotations()
		}
		for _, k := range sensitive {
			if _, ok := ann[k]; ok {
				ann[k] = annotationMask
			}
		}
		obj.SetAnnotations(ann)
	}
	return out
}

// encodeStringData returns a Secret whose stringData is folded into its
// data, base64-encoded, as the API server stores it: a rendered Secret's
// clear value and the live one's encoded value are then the same value,
// masked alike. Anything else is returned as it is.
func encodeStringData(obj *unstructured.Unstructured) *unstructured.Unstructured {
	if obj == nil || obj.GetKind() != "Secret" || obj.GroupVersionKind().Group != "" {
		return obj
	}
	clear, ok := obj.Object["stringData"].(map[string]any)
	if !ok {
		return obj
	}
	c := obj.DeepCopy()
	data, _ := c.Object["data"].(map[string]any)
	if data == nil {
		data = map[string]any{}
	}
	for k, v := range clear {
		s, _ := v.(string)
		data[k] = base64.StdEncoding.EncodeToString([]byte(s))
	}
	c.Object["data"] = data
	delete(c.Object, "stringData")
	return c
}

// sensitiveAnnotations are the keys of argocd-cm's
// resource.sensitive.mask.annotations, comma-separated.
func (a *API) sensitiveAnnotations() []string {
	return splitList([]string{a.settingsNow().Value(settings.ConfigMap, "resource.sensitive.mask.annotations")})
}
