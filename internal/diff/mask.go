package diff

import (
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// MaskSecrets returns copies of the objects with the values of Secrets
// replaced by runs of '+', for anything a user sees (diffs, manifests,
// status, logs). Equal values get equal masks and different values
// different ones, across all the objects given, so a masked diff still shows
// which keys changed. Objects that are not Secrets are returned as they are.
func MaskSecrets(objs ...*unstructured.Unstructured) []*unstructured.Unstructured {
	masks := map[string]string{}
	maskOf := func(v string) string {
		m, ok := masks[v]
		if !ok {
			m = strings.Repeat("+", 8+len(masks))
			masks[v] = m
		}
		return m
	}
	out := make([]*unstructured.Unstructured, len(objs))
	for i, obj := range objs {
		if obj == nil || obj.GetKind() != "Secret" || obj.GroupVersionKind().Group != "" {
			out[i] = obj
			continue
		}
		c := obj.DeepCopy()
		for _, field := range []string{"data", "stringData"} {
			values, ok := c.Object[field].(map[string]any)
			if !ok {
				continue
			}
			for k, v := range values {
				s, _ := v.(string)
				values[k] = maskOf(s)
			}
		}
		// The last-applied annotation would carry the values in clear.
		if ann := c.GetAnnotations(); ann != nil {
			delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
			c.SetAnnotations(ann)
		}
		out[i] = c
	}
	return out
}
