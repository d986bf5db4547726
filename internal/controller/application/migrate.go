package application

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/capstan-cd/capstan/internal/sync"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// unwatchedExtraneous finds the objects the Application's status lists
// that are no longer rendered and that the watch did not report: objects
// Argo CD applied, which carry its tracking but not capstan's managed label
// (the watch selects by that label) until capstan labels them. Without this
// look-up, an object removed from Git after capstan took the Application
// over would be neither reported nor pruned. Each is read by name, so the
// cost is that of the objects left to prune, and nothing once they are
// gone from the status.
func (r *Reconciler) unwatchedExtraneous(ctx context.Context, st *state, wanted, seen map[string]bool) ([]*resource, error) {
	t := st.target
	var out []*resource
	for _, rs := range st.app.Status.Resources {
		gvk := schema.GroupVersionKind{Group: rs.Group, Version: rs.Version, Kind: rs.Kind}
		key := objectKey(gvk, rs.Namespace, rs.Name)
		if wanted[key] || seen[key] || st.settings.Resources.Excluded(gvk.Group, gvk.Kind, t.cluster.Server) {
			continue // excluded kinds are never pruned
		}
		seen[key] = true
		if namespaced, known := t.applier.Namespaced(gvk); known && namespaced && rs.Namespace == "" {
			// Listed before its kind was known, when its namespace could
			// not be told: no such object can exist.
			continue
		}
		ref := &unstructured.Unstructured{}
		ref.SetGroupVersionKind(gvk)
		ref.SetNamespace(rs.Namespace)
		ref.SetName(rs.Name)
		live, err := t.applier.Get(ctx, ref)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			// The kind is gone or not known yet (a namespaced kind
			// recorded without its namespace before its CRD came): this
			// entry names no object to prune. Another error is not this
			// Application's comparison failing: the next pass looks again.
			ctrl.LoggerFrom(ctx).V(1).Info("cannot read an object the status lists", "object", tracking.Describe(ref), "error", err.Error())
			continue
		}
		if live == nil || !unlabelled(live) {
			// Gone, or labelled: a labelled object the watch did not
			// report no longer names this Application.
			continue
		}
		if owner, ok := tracking.Owner(live, st.policy); !ok || owner != st.app.Name || sync.HookOf(live).IsHook {
			continue
		}
		out = append(out, &resource{live: metadataOf(live), extraneous: true})
	}
	return out, nil
}
