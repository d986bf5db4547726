package application

import (
	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// SetupWithManager registers the controller. Applications are reconciled
// when their spec, operation or annotations change (never because of the
// controller's own status writes), when a managed object changes, and at
// each poll, and all of them when the settings change.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager, workers int) error {
	r.refreshes = make(chan event.GenericEvent, 1024)
	if r.Settings != nil {
		r.Settings.Subscribe(r.requeueAll)
	}
	// Another shard's Applications are never queued here.
	inShard := predicate.NewPredicateFuncs(r.selects)
	b := ctrl.NewControllerManagedBy(mgr).
		Named("application").
		For(&v1alpha1.Application{}, builder.WithPredicates(inShard, predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}, predicate.LabelChangedPredicate{},
		))).
		WatchesRawSource(source.Channel(r.Clusters.Events(), &handler.EnqueueRequestForObject{}, source.WithPredicates[client.Object, reconcile.Request](inShard))).
		WatchesRawSource(source.Channel(r.refreshes, &handler.EnqueueRequestForObject{}, source.WithPredicates[client.Object, reconcile.Request](inShard))).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers})
	if r.InShard != nil {
		b = b.Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.shardApplications), builder.WithPredicates(clusterSecrets))
	}
	return b.Complete(r)
}

// selects reports whether obj is an Application of this replica's shard.
func (r *Reconciler) selects(obj client.Object) bool {
	return r.InShard == nil || r.InShard(obj)
}
