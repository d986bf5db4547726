package application

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/health"
	"github.com/capstan-cd/capstan/internal/settings"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// defaults is the snapshot of a controller without Settings.
var defaults = settings.Default()

// customized is the settings snapshot a reconcile runs under, and the
// health assessment under its customizations.
func (r *Reconciler) customized(ctx context.Context) (*settings.Settings, func(*unstructured.Unstructured) (*health.Status, error)) {
	s := r.current()
	return s, func(obj *unstructured.Unstructured) (*health.Status, error) { return s.Health.Of(ctx, obj) }
}

// current is the settings snapshot in force.
func (r *Reconciler) current() *settings.Settings {
	if r.Settings != nil {
		return r.Settings.Current()
	}
	return defaults
}

// trackingPolicy is how objects are tracked under s: as the settings say,
// or, for a controller without Settings, by Options.Tracking.
func (r *Reconciler) trackingPolicy(s *settings.Settings) tracking.Policy {
	if r.Settings != nil {
		return s.Tracking
	}
	return tracking.Policy{Method: r.Opts.Tracking}
}

// dropExcluded leaves out of the desired objects those of kinds that
// resource.exclusions and resource.inclusions exclude on the destination:
// capstan neither applies nor prunes them, and says so in a warning.
func (r *Reconciler) dropExcluded(st *state, desired []*unstructured.Unstructured) []*unstructured.Unstructured {
	server := st.target.cluster.Server
	kept := desired[:0]
	for _, obj := range desired {
		gk := obj.GroupVersionKind().GroupKind()
		if st.settings.Resources.Excluded(gk.Group, gk.Kind, server) {
			st.condition(v1alpha1.ApplicationConditionExcludedResourceWarning,
				fmt.Sprintf("%s is excluded by resource.exclusions or resource.inclusions; it is neither applied nor pruned", tracking.Describe(obj)))
			continue
		}
		kept = append(kept, obj)
	}
	return kept
}

// requeueAll queues every Application when the settings change: a new
// customization may change their health or their differences, a new
// timeout.reconciliation their next poll. A change that comes before the
// cache has started (the server writes its signing key at a first start)
// queues nothing: the cache's first list queues every Application, and
// each pass reads the settings then in force.
func (r *Reconciler) requeueAll(ctx context.Context, _ *settings.Settings) {
	apps, err := r.listApps(ctx) // only their names are read
	if err != nil {
		if _, notStarted := errors.AsType[*cache.ErrCacheNotStarted](err); notStarted {
			return
		}
		ctrl.LoggerFrom(ctx).Error(err, "cannot queue the Applications after a settings change")
		return
	}
	for _, cached := range apps {
		app := &v1alpha1.Application{}
		app.Namespace, app.Name = cached.Namespace, cached.Name
		select {
		case r.refreshes <- event.GenericEvent{Object: app}:
		case <-ctx.Done():
			return
		}
	}
}
