package application

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/cluster"
	"github.com/capstan-cd/capstan/internal/sync"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// resourcesFinalizers are the forms of the finalizer that deletes an
// Application's resources with it.
var resourcesFinalizers = []string{v1alpha1.ResourcesFinalizer, v1alpha1.ForegroundResourcesFinalizer, v1alpha1.BackgroundResourcesFinalizer}

// deletionRetry is how soon a deletion that met an error is tried again,
// and deletionPoll how soon one that waits looks again (the deletion
// events of its objects and hooks usually come first).
const (
	deletionRetry = 5 * time.Second
	deletionPoll  = 2 * time.Second
)

// unreachableWayOut tells a user how to let go an Application whose
// cluster cannot be reached.
const unreachableWayOut = "tried again until it can be reached; to let the Application go without deleting anything, " +
	"remove its finalizers, or the cluster's Secret if the cluster is gone for good"

// errStillDeleting: the resources are being deleted, with nothing
// holding them that a user should hear of.
var errStillDeleting = errors.New("resources still being deleted")

// deletionStage is one finalizer's work: run reports what it still waits
// for ("" when it is done).
type deletionStage struct {
	finalizers []string
	run        func(ctx context.Context, app *v1alpha1.Application, t *target) (string, error)
}

// finalize does what an Application's finalizers ask before it goes, in
// order: its PreDelete hooks, the deletion of its resources, its
// PostDelete hooks. Each finalizer is removed once its work is done. An
// error, or work that is held (a hook that failed, an object another
// finalizer keeps), is a DeletionError condition, tried again; the
// condition says how to let the Application go. A destination cluster
// that is no longer known lets the Application go at once, its resources
// left where they are, as in Argo CD.
func (r *Reconciler) finalize(ctx context.Context, app *v1alpha1.Application) (ctrl.Result, error) {
	stages := []deletionStage{
		{[]string{v1alpha1.PreDeleteFinalizer}, func(ctx context.Context, app *v1alpha1.Application, t *target) (string, error) {
			return r.runDeleteHooks(ctx, app, t, sync.PhasePreDelete)
		}},
		{resourcesFinalizers, r.deleteAll},
		{[]string{v1alpha1.PostDeleteFinalizer}, func(ctx context.Context, app *v1alpha1.Application, t *target) (string, error) {
			return r.runDeleteHooks(ctx, app, t, sync.PhasePostDelete)
		}},
	}
	if !slices.ContainsFunc(stages, func(s deletionStage) bool { return holdsAny(app, s.finalizers) }) {
		return ctrl.Result{}, nil
	}
	t, err := r.Clusters.resolve(ctx, r.Client, app.Spec.Destination)
	if err != nil {
		if errors.Is(err, cluster.ErrUnknownDestination) {
			ctrl.LoggerFrom(ctx).Info("destination cluster unknown: the Application goes without deleting its resources or running its delete hooks", "error", err.Error())
			var all []string
			for _, s := range stages {
				all = append(all, s.finalizers...)
			}
			return ctrl.Result{}, r.release(ctx, app, all)
		}
		return r.deletionError(ctx, app, fmt.Errorf("cannot reach the destination cluster: %w; %s", err, unreachableWayOut))
	}
	for _, s := range stages {
		if !holdsAny(app, s.finalizers) {
			continue
		}
		waiting, err := s.run(ctx, app, t)
		if errors.Is(err, errStillDeleting) {
			// Their deletion events bring the Application back; the
			// requeue is a safety net.
			return ctrl.Result{RequeueAfter: deletionPoll}, nil
		}
		if err != nil {
			return r.deletionError(ctx, app, err)
		}
		if waiting != "" {
			return r.deletionWaits(ctx, app, waiting)
		}
		if err := r.release(ctx, app, s.finalizers); err != nil {
			return ctrl.Result{}, err
		}
	}
	return ctrl.Result{}, nil
}

func holdsAny(app *v1alpha1.Application, finalizers []string) bool {
	return slices.ContainsFunc(app.Finalizers, func(f string) bool { return slices.Contains(finalizers, f) })
}

// release removes finalizers from the Application.
func (r *Reconciler) release(ctx context.Context, app *v1alpha1.Application, finalizers []string) error {
	before := app.DeepCopy()
	app.Finalizers = slices.DeleteFunc(app.Finalizers, func(f string) bool { return slices.Contains(finalizers, f) })
	if err := r.Client.Patch(ctx, app, client.MergeFrom(before)); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("remove finalizers %v of Application %s: %w", finalizers, app.Name, err))
	}
	return nil
}

// deletionError shows err as the Application's DeletionError condition
// and tries again soon.
func (r *Reconciler) deletionError(ctx context.Context, app *v1alpha1.Application, err error) (ctrl.Result, error) {
	if perr := r.showDeletion(ctx, app, err.Error()); perr != nil {
		return ctrl.Result{}, perr
	}
	return ctrl.Result{RequeueAfter: deletionRetry}, nil
}

// deletionWaits shows what the deletion waits for and looks again soon.
func (r *Reconciler) deletionWaits(ctx context.Context, app *v1alpha1.Application, waiting string) (ctrl.Result, error) {
	if err := r.showDeletion(ctx, app, waiting); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: deletionPoll}, nil
}

// showDeletion makes msg the Application's only condition, a
// DeletionError, writing only when it changed.
func (r *Reconciler) showDeletion(ctx context.Context, app *v1alpha1.Application, msg string) error {
	now := metav1.NewTime(r.Clock.Now())
	want := mergeConditions(app.Status.Conditions, []v1alpha1.ApplicationCondition{{Type: v1alpha1.ApplicationConditionDeletionError, Message: msg, LastTransitionTime: &now}})
	if equality.Semantic.DeepEqual(want, app.Status.Conditions) {
		return nil
	}
	before := app.DeepCopy()
	app.Status.Conditions = want
	return client.IgnoreNotFound(r.Client.Status().Patch(ctx, app, client.MergeFrom(before)))
}

// confirmCurrent writes msg as the Application's DeletionError condition,
// on condition that the Application is still the version this pass read.
// A pass that read a copy an earlier pass already replaced (by removing a
// finalizer, or the Application altogether) learns it here, before it
// creates a hook the earlier pass had run and cleaned up: it gets
// errStillDeleting, and the Application is looked at again.
func (r *Reconciler) confirmCurrent(ctx context.Context, app *v1alpha1.Application, msg string) error {
	now := metav1.NewTime(r.Clock.Now())
	before := app.DeepCopy()
	app.Status.Conditions = mergeConditions(app.Status.Conditions, []v1alpha1.ApplicationCondition{{Type: v1alpha1.ApplicationConditionDeletionError, Message: msg, LastTransitionTime: &now}})
	err := r.Client.Status().Patch(ctx, app, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return errStillDeleting
	}
	if err != nil {
		return fmt.Errorf("update the status of Application %s: %w", app.Name, err)
	}
	return nil
}

// deleteAll deletes the Application's resources with the propagation its
// resources finalizer names, and says what it still waits for.
func (r *Reconciler) deleteAll(ctx context.Context, app *v1alpha1.Application, t *target) (string, error) {
	policy := metav1.DeletePropagationForeground
	if slices.Contains(app.Finalizers, v1alpha1.BackgroundResourcesFinalizer) {
		policy = metav1.DeletePropagationBackground
	}
	remaining, held, err := r.deleteResources(ctx, app, t, policy)
	switch {
	case err != nil:
		return "", err
	case len(held) > 0:
		return fmt.Sprintf("waiting for %s to be deleted; remove their finalizers, or the Application's finalizer %s to let it go without waiting",
			strings.Join(held, ", "), v1alpha1.ResourcesFinalizer), nil
	case remaining > 0:
		return "", errStillDeleting
	}
	return "", nil
}

// deleteResources deletes every live object tracked for app and returns
// how many are still there (being deleted), and which of those another
// finalizer than the garbage collector's holds. Objects marked
// Delete=false stay; those marked Delete=confirm wait for the
// Application's deletion-approved annotation, dated at or after its
// deletion. It never waits: the finalizer is removed by a later pass, once
// nothing remains. An object whose kind the cluster no longer has is gone
// with its kind.
func (r *Reconciler) deleteResources(ctx context.Context, app *v1alpha1.Application, t *target, policy metav1.DeletionPropagation) (int, []string, error) {
	appOptions, err := sync.ParseOptions(syncOptions(app, v1alpha1.Operation{}))
	if err != nil {
		return 0, nil, err
	}
	remaining := 0
	var awaiting, held []string
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
			return 0, nil, fmt.Errorf("cannot delete the resources on cluster %s: %w; %s", t.cluster.Server, err, unreachableWayOut)
		}
		if live == nil {
			continue
		}
		if owner, ok := tracking.Owner(live, r.trackingPolicy(r.current())); !ok || owner != app.Name {
			continue // not ours (any more): never delete another's object
		}
		opts, err := appOptions.For(live)
		if err != nil {
			return 0, nil, err
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
			if f := foreignFinalizers(live); len(f) > 0 {
				held = append(held, fmt.Sprintf("%s (finalizers %s)", tracking.Describe(live), strings.Join(f, ", ")))
			}
			continue
		}
		if err := t.applier.Delete(ctx, live, policy); err != nil {
			return 0, nil, err
		}
	}
	if len(awaiting) > 0 {
		return 0, nil, fmt.Errorf("waiting for deletion confirmation of %s (Delete=confirm): annotate the Application %s with the time", strings.Join(awaiting, ", "), AnnotationDeletionApproved)
	}
	return remaining, held, nil
}

// foreignFinalizers are the finalizers of obj other than the garbage
// collector's own, which go away by themselves.
func foreignFinalizers(obj *unstructured.Unstructured) []string {
	return slices.DeleteFunc(slices.Clone(obj.GetFinalizers()), func(f string) bool {
		return f == metav1.FinalizerDeleteDependents || f == metav1.FinalizerOrphanDependents
	})
}
