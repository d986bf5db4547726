package application

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// clusterSecrets selects the cluster Secrets, whose shard key and number
// decide which replica reconciles an Application.
var clusterSecrets = predicate.NewPredicateFuncs(func(obj client.Object) bool {
	_, ok := obj.(*corev1.Secret)
	return ok && obj.GetLabels()[v1alpha1.LabelSecretType] == v1alpha1.SecretTypeCluster
})

// shardApplications queues the Applications of this replica's shard when
// a cluster Secret changes: a cluster (its shard key, or the clusters
// round-robin deals out) may have moved into the shard, and its
// Applications have no other event to bring them here.
func (r *Reconciler) shardApplications(ctx context.Context, _ client.Object) []reconcile.Request {
	apps, err := r.listApps(ctx) // read, never changed
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "cannot queue the Applications after a cluster Secret changed")
		return nil
	}
	var out []reconcile.Request
	for _, app := range apps {
		if r.selects(app) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(app)})
		}
	}
	return out
}
