package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// applyParallel bounds the applies of one step that run at once.
const applyParallel = 8

// runTasks applies or prunes each task and records its result, in the
// order of tasks; a hook is recorded Running until its health says it
// finished. A hook whose previous run is still going away is left for a
// later pass, and waiting says so.
//
// Plain applies next to each other in the step run at once (see
// together); prunes, hooks and the kinds others need first run alone, in
// order, so that what is applied after them finds them there. Every task
// of the step runs whatever another's outcome.
func (e *Engine) runTasks(ctx context.Context, os *v1alpha1.OperationState, tasks []Task, dryRun bool) (waiting string, _ error) {
	outcomes := make([]taskOutcome, len(tasks))
	for start := 0; start < len(tasks); {
		end := start + 1
		for end < len(tasks) && together(tasks[start]) && together(tasks[end]) {
			end++
		}
		if end-start == 1 {
			outcomes[start] = e.runTask(ctx, tasks[start], dryRun)
		} else {
			var g errgroup.Group
			g.SetLimit(applyParallel)
			for i := start; i < end; i++ {
				g.Go(func() error {
					outcomes[i] = e.runTask(ctx, tasks[i], dryRun)
					return nil
				})
			}
			_ = g.Wait()
		}
		start = end
	}
	result := os.SyncResult
	var errs []error
	for _, o := range outcomes {
		if o.waiting != "" {
			if waiting == "" {
				waiting = o.waiting
			}
			continue // not done: a later pass creates the hook
		}
		if o.err != nil {
			errs = append(errs, o.err)
		}
		result.Resources = append(result.Resources, o.result)
	}
	return waiting, errors.Join(errs...)
}

// together reports whether task may run at the same time as its
// neighbours in a step: a plain apply of an object nothing else in the
// step needs first (see first).
func together(task Task) bool {
	if task.Action != ActionApply || task.Hook {
		return false
	}
	gvk := task.Object.GroupVersionKind()
	return !first[gvk.Group+"/"+gvk.Kind]
}

// first are the kinds whose objects must exist before others of the same
// step are written: the namespace they go in, the definition of their
// kind, and what the API server's admission of a Pod reads (its
// ServiceAccount, the namespace's quotas and limits).
var first = map[string]bool{
	"/Namespace": true,
	"apiextensions.k8s.io/CustomResourceDefinition": true,
	"/ResourceQuota":  true,
	"/LimitRange":     true,
	"/ServiceAccount": true,
}

// taskOutcome is what running one task came to: its result, or what it
// waits for before it can run.
type taskOutcome struct {
	result  v1alpha1.ResourceResult
	err     error
	waiting string
}

// runTask applies or prunes one task.
func (e *Engine) runTask(ctx context.Context, task Task, dryRun bool) taskOutcome {
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
			return taskOutcome{waiting: fmt.Sprintf("waiting for the previous run of hook %s to be deleted", tracking.Describe(obj))}
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
	}
	return taskOutcome{result: rr, err: err}
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
