package application

import (
	"context"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
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
	if err := r.deleteResources(ctx, app, policy); err != nil {
		before := app.DeepCopy()
		now := metav1.NewTime(r.Clock.Now())
		app.Status.Conditions = []v1alpha1.ApplicationCondition{{Type: v1alpha1.ApplicationConditionDeletionError, Message: err.Error(), LastTransitionTime: &now}}
		if perr := r.Client.Status().Patch(ctx, app, client.MergeFrom(before)); perr != nil {
			return ctrl.Result{}, perr
		}
		return ctrl.Result{RequeueAfter: 5 * time.Second}, nil
	}
	before := app.DeepCopy()
	app.Finalizers = slices.DeleteFunc(app.Finalizers, func(f string) bool {
		return f == v1alpha1.ResourcesFinalizer || f == v1alpha1.BackgroundResourcesFinalizer
	})
	return ctrl.Result{}, client.IgnoreNotFound(r.Client.Patch(ctx, app, client.MergeFrom(before)))
}

// deleteResources deletes every live object tracked for app and waits
// until they are gone.
func (r *Reconciler) deleteResources(ctx context.Context, app *v1alpha1.Application, policy metav1.DeletionPropagation) error {
	t, err := r.Clusters.resolve(ctx, r.Client, app.Spec.Destination)
	if err != nil {
		return fmt.Errorf("delete resources: %w", err)
	}
	var owned []*unstructured.Unstructured
	for _, rs := range app.Status.Resources {
		gvk := schema.GroupVersionKind{Group: rs.Group, Version: rs.Version, Kind: rs.Kind}
		ref := &unstructured.Unstructured{}
		ref.SetGroupVersionKind(gvk)
		ref.SetNamespace(rs.Namespace)
		ref.SetName(rs.Name)
		live, err := t.applier.Get(ctx, ref)
		if err != nil {
			return err
		}
		if live == nil {
			continue
		}
		if owner, ok := tracking.Owner(live, r.Opts.Tracking); !ok || owner != app.Name {
			continue // not ours (any more): never delete another's object
		}
		if err := t.applier.Delete(ctx, live, policy); err != nil {
			return err
		}
		owned = append(owned, live)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for _, obj := range owned {
		if err := t.applier.WaitDeleted(waitCtx, obj); err != nil {
			return fmt.Errorf("waiting for %s to be deleted: %w", tracking.Describe(obj), err)
		}
	}
	return nil
}
