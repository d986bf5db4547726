package application

import (
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
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
	return ctrl.NewControllerManagedBy(mgr).
		Named("application").
		For(&v1alpha1.Application{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}, predicate.LabelChangedPredicate{},
		))).
		WatchesRawSource(source.Channel(r.Clusters.Events(), &handler.EnqueueRequestForObject{})).
		WatchesRawSource(source.Channel(r.refreshes, &handler.EnqueueRequestForObject{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		Complete(r)
}
