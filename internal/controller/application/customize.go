package application

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/health"
	"github.com/capstan-cd/capstan/internal/settings"
)

// defaults is the snapshot of a controller without Settings.
var defaults = settings.Default()

// customized is the settings snapshot a reconcile runs under, and the
// health assessment under its customizations.
func (r *Reconciler) customized(ctx context.Context) (*settings.Settings, func(*unstructured.Unstructured) (*health.Status, error)) {
	s := defaults
	if r.Settings != nil {
		s = r.Settings.Current()
	}
	return s, func(obj *unstructured.Unstructured) (*health.Status, error) { return s.Health.Of(ctx, obj) }
}

// requeueAll queues every Application when the settings change: a new
// customization may change their health or their differences, a new
// timeout.reconciliation their next poll.
func (r *Reconciler) requeueAll(ctx context.Context, _ *settings.Settings) {
	var apps v1alpha1.ApplicationList
	if err := r.Client.List(ctx, &apps, client.InNamespace(r.Opts.Namespace)); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "cannot queue the Applications after a settings change")
		return
	}
	for i := range apps.Items {
		app := &v1alpha1.Application{}
		app.Namespace, app.Name = apps.Items[i].Namespace, apps.Items[i].Name
		select {
		case r.refreshes <- event.GenericEvent{Object: app}:
		case <-ctx.Done():
			return
		}
	}
}
