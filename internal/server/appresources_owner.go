package server

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan-cd/capstan/internal/tracking"
)

// maxOwnerDepth bounds the walk up an object's owners: Deployment →
// ReplicaSet → Pod is two steps, CronJob → Job → Pod two.
const maxOwnerDepth = 5

// ownedBy reports whether obj is tracked by Application app under p.
func ownedBy(obj *unstructured.Unstructured, app string, p tracking.Policy) bool {
	owner, ok := tracking.Owner(obj, p)
	return ok && owner == app
}

// belongs reports whether obj is one of app's objects: tracked by it, or
// made by one of them (a Pod of a ReplicaSet of a tracked Deployment),
// found by walking the controller owner references up to a tracked
// object. Anything else in the cluster is not the app's to show or touch.
func (a *API) belongs(ctx context.Context, dst *destination, app string, obj *unstructured.Unstructured) (bool, error) {
	p := a.trackingPolicy()
	cur := obj
	for range maxOwnerDepth {
		if ownedBy(cur, app, p) {
			return true, nil
		}
		ref := metav1.GetControllerOf(cur)
		if ref == nil {
			return false, nil
		}
		gv, err := schema.ParseGroupVersion(ref.APIVersion)
		if err != nil {
			return false, nil
		}
		owner := &unstructured.Unstructured{}
		owner.SetGroupVersionKind(gv.WithKind(ref.Kind))
		owner.SetNamespace(cur.GetNamespace())
		owner.SetName(ref.Name)
		if namespaced, known := dst.applier.Namespaced(owner.GroupVersionKind()); known && !namespaced {
			owner.SetNamespace("")
		}
		live, err := dst.applier.Get(ctx, owner)
		if err != nil {
			return false, fmt.Errorf("owner of %s: %w", tracking.Describe(cur), err)
		}
		if live == nil || live.GetUID() != ref.UID {
			return false, nil
		}
		cur = live
	}
	return false, nil
}
