package health

import (
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

type condition struct {
	kind, status, reason, message string
}

// conditions reads status.conditions of any object, ignoring entries that
// are not objects.
func conditions(obj *unstructured.Unstructured) []condition {
	raw, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	out := make([]condition, 0, len(raw))
	for _, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		str := func(k string) string { s, _ := m[k].(string); return s }
		out = append(out, condition{kind: str("type"), status: str("status"), reason: str("reason"), message: str("message")})
	}
	return out
}

// byConditions is the health of a custom resource from the conventions most
// controllers follow: a status.observedGeneration behind metadata.generation
// means the change is not seen yet; Stalled and Reconciling (kstatus) come
// first; then the Ready or Available condition. An object with none of
// these has no health of its own.
func byConditions(obj *unstructured.Unstructured) *Status {
	if _, ok := obj.Object["status"]; !ok {
		return nil
	}
	if observed, ok, _ := unstructured.NestedInt64(obj.Object, "status", "observedGeneration"); ok && observed < obj.GetGeneration() {
		return progressing("Waiting for the controller to observe the latest generation")
	}
	conds := conditions(obj)
	for _, c := range conds {
		switch {
		case c.kind == "Stalled" && c.status == "True":
			return degraded(c.message)
		case c.kind == "Reconciling" && c.status == "True":
			return progressing(c.message)
		}
	}
	for _, want := range []string{"Ready", "Available"} {
		for _, c := range conds {
			if c.kind != want {
				continue
			}
			switch c.status {
			case "True":
				return healthy(c.message)
			case "False":
				if strings.Contains(c.reason, "Progress") || strings.Contains(c.reason, "Reconcil") {
					return progressing(c.message)
				}
				return degraded(c.message)
			default:
				return progressing(c.message)
			}
		}
	}
	return nil
}
