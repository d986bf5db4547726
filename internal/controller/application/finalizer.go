package application

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/sync"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// finalize deletes an Application's resources, when a finalizer asks for
// it, then lets the Application go.
func (r *Reconciler) finalize(ctx context.Context, app *v1alpha1.Application) (ctrl.Result, error) {
	var policy metav1.DeletionPropagation
	switch {
	case slices.Contains(app.Finalizers, v1alpha1.ResourcesFinalizer):
		policy = metav1.DeletePropagationForeground
	case slices.Contains(app.Finalizers, v1alpha1.BackgroundResourcesFinalizer):
		policy = metav1.DeletePropagationBackground
	default:
		return ctrl.Result{}, nil
	}
	remaining, err := r.deleteResources(ctx, app, policy)
	if err != nil {
		before := app.DeepCopy()
		now := metav1.NewTime(r.Clock.Now())
		app.Status.Conditions = []v1alpha1.ApplicationCondition{{Type: v1alpha1.ApplicationConditionDeletionError, Message: err.Error(), LastTransitionTime: &now}}
		if perr := r.Client.Status().Patch(ctx, app, client.MergeFrom(before)); perr != nil {
			return ctrl.Result{}, perr
		}
		return ctrl.Result{RequeueAfter: 5 * time.Second}, nil
	}
	if remaining > 0 {
		// Their deletion events bring the Application back; the requeue
		// is a safety net.
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
	}
	before := app.DeepCopy()
	app.Finalizers = slices.DeleteFunc(app.Finalizers, func(f string) bool {
		return f == v1alpha1.ResourcesFinalizer || f == v1alpha1.BackgroundResourcesFinalizer
	})
	return ctrl.Result{}, client.IgnoreNotFound(r.Client.Patch(ctx, app, client.MergeFrom(before)))
}

// deleteResources deletes every live object tracked for app and returns
// how many are still there (being deleted). Objects marked Delete=false
// stay; those marked Delete=confirm wait for the Application's
// deletion-approved annotation, dated at or after its deletion. It never waits: the finalizer
// is removed by a later pass, once nothing remains. An object whose kind
// the cluster no longer has is gone with its kind.
func (r *Reconciler) deleteResources(ctx context.Context, app *v1alpha1.Application, policy metav1.DeletionPropagation) (int, error) {
	t, err := r.Clusters.resolve(ctx, r.Client, app.Spec.Destination)
	if err != nil {
		return 0, fmt.Errorf("cannot delete the resources: %w; remove the finalizer %s to delete the Application without them", err, v1alpha1.ResourcesFinalizer)
	}
	appOptions, err := sync.ParseOptions(syncOptions(app, v1alpha1.Operation{}))
	if err != nil {
		return 0, err
	}
	remaining := 0
	var awaiting []string
	for _, rs := range app.Status.Resources {
		gvk := schema.GroupVersionKind{Group: rs.Group, Version: rs.Version, Kind: rs.Kind}
		ref := &unstructured.Unstructured{}
		ref.SetGroupVersionKind(gvk)
		ref.SetNamespace(rs.Namespace)
		ref.SetName(rs.Name)
		live, err := t.applier.Get(ctx, ref)
		if meta.IsNoMatchError(err) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if live == nil {
			continue
		}
		if owner, ok := tracking.Owner(live, r.Opts.Tracking); !ok || owner != app.Name {
			continue // not ours (any more): never delete another's object
		}
		opts, err := appOptions.For(live)
		if err != nil {
			return 0, err
		}
		switch {
		case opts.Delete == sync.ModeNever:
			continue // Delete=false: it outlives the Application
		case opts.Delete == sync.ModeConfirm && !deletionApproved(app, app.GetDeletionTimestamp().Rfc3339Copy().Time):
			awaiting = append(awaiting, tracking.Describe(live))
			continue
		}
		remaining++
		if live.GetDeletionTimestamp() != nil {
			continue
		}
		if err := t.applier.Delete(ctx, live, policy); err != nil {
			return 0, err
		}
	}
	if len(awaiting) > 0 {
		return 0, fmt.Errorf("waiting for deletion confirmation of %s (Delete=confirm): annotate the Application %s with the time", strings.Join(awaiting, ", "), AnnotationDeletionApproved)
	}
	return remaining, nil
}
