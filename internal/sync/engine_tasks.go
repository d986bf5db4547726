package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// runTasks applies or prunes each task and records its result; a hook is
// recorded Running until its health says it finished. A hook whose
// previous run is still going away is left for a later pass, and waiting
// says so.
func (e *Engine) runTasks(ctx context.Context, os *v1alpha1.OperationState, tasks []Task, dryRun bool) (waiting string, _ error) {
	result := os.SyncResult
	var errs []error
	for _, task := range tasks {
		obj := task.Object
		rr := ResultFor(obj, task.Phase)
		var err error
		switch task.Action {
		case ActionPrune:
			if !dryRun {
				err = e.Cluster.Delete(ctx, obj, task.Options.PrunePropagationPolicy)
			}
			rr.Status, rr.Message = v1alpha1.ResultCodePruned, "pruned"
		default:
			if task.Hook {
				rr.HookType = v1alpha1.HookType(rr.SyncPhase)
				rr.HookPhase = v1alpha1.OperationRunning
			}
			adopted, ready := false, true
			if task.Hook && !dryRun {
				adopted, ready, err = e.prepareHook(ctx, obj)
			}
			if err == nil && !ready {
				if waiting == "" {
					waiting = fmt.Sprintf("waiting for the previous run of hook %s to be deleted", tracking.Describe(obj))
				}
				continue // not done: a later pass creates the hook
			}
			if err == nil && !adopted {
				err = e.Cluster.Apply(ctx, task, obj, dryRun)
			}
			if dryRun {
				rr.HookPhase = ""
			}
			rr.Status, rr.Message = v1alpha1.ResultCodeSynced, "applied"
		}
		if err != nil {
			rr.Status, rr.Message, rr.HookPhase = v1alpha1.ResultCodeSyncFailed, err.Error(), ""
			errs = append(errs, err)
		}
		result.Resources = append(result.Resources, rr)
	}
	return waiting, errors.Join(errs...)
}

// prepareHook readies the creation of a hook. A hook this run of the
// operation already created is adopted: the pass that created it did not
// record it (its write was lost, or the controller stopped). Otherwise the
// hook's previous run is deleted before it is created again (the
// BeforeHookCreation delete policy, the default); until it is gone, the
// hook is not ready, and the operation waits for it by coming back, not by
// holding a worker.
func (e *Engine) prepareHook(ctx context.Context, obj *unstructured.Unstructured) (adopted, ready bool, _ error) {
	live, err := e.Cluster.Get(ctx, obj)
	if err != nil || live == nil {
		return false, true, err
	}
	if ranHere(live, obj) && live.GetDeletionTimestamp() == nil {
		return true, true, nil
	}
	if !slices.Contains(DeletePoliciesOf(obj), v1alpha1.HookDeletePolicyBeforeHookCreation) {
		return false, true, nil
	}
	if live.GetDeletionTimestamp() == nil {
		if err := e.Cluster.Delete(ctx, live, metav1.DeletePropagationForeground); err != nil {
			return false, false, err
		}
	}
	// Most kinds go at once; those that take longer are waited for.
	live, err = e.Cluster.Get(ctx, obj)
	return false, live == nil, err
}
