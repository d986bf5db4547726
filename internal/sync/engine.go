package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/clock"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/health"
)

// Cluster is what an operation needs of its destination and of the record
// of its progress. The controller implements it over the API server.
type Cluster interface {
	// Apply writes obj, the object of task (a hook already named and
	// marked with its run), or checks it against the API server (dryRun).
	Apply(ctx context.Context, task Task, obj *unstructured.Unstructured, dryRun bool) error
	// Delete deletes obj with the propagation policy.
	Delete(ctx context.Context, obj *unstructured.Unstructured, policy metav1.DeletionPropagation) error
	// Get reads obj's live state; nil, without an error, when it does not
	// exist.
	Get(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error)
	// Health assesses a live object; nil when its kind has no health.
	Health(live *unstructured.Unstructured) (*health.Status, error)
	// Applied is the health, as last seen, of an object (not a hook) the
	// operation applied; nil when there is nothing to wait for.
	Applied(rr *v1alpha1.ResourceResult) *health.Status
	// Persist records the operation's state, so that what follows is never
	// done twice: a restarted controller resumes from what it recorded.
	Persist(ctx context.Context, os *v1alpha1.OperationState) error
}

// ErrNotPersisted marks a failed checkpoint: the step it guarded did not
// run, and the operation is not failed for it; the pass ends and is tried
// again.
var ErrNotPersisted = errors.New("the operation's progress could not be recorded")

// MessageTerminated is the message of an operation its user terminated.
const MessageTerminated = "Operation terminated"

// Engine runs sync operations as a state machine over their recorded
// state (status.operationState): each call takes an operation as far as it
// can go without waiting, and leaves it Running with a message saying
// what it waits for, or ends it.
type Engine struct {
	Cluster Cluster
	Clock   clock.PassiveClock
}

// Advance runs the operation os as far as it can go in this pass. The plan
// is made afresh each pass; a task already in the operation's results has
// run and is not run again. A step starts only when everything the
// operation applied so far is healthy and its hooks have finished; the
// operation succeeds once every step has run and its hooks have succeeded
// (the last step's objects are not waited for). syncFail are the SyncFail
// hooks, run if the operation fails. The only error returned is a failed
// checkpoint (ErrNotPersisted): the pass ends with nothing done past it.
func (e *Engine) Advance(ctx context.Context, os *v1alpha1.OperationState, plan Plan, syncFail []*unstructured.Unstructured) error {
	if os.SyncResult == nil {
		os.SyncResult = &v1alpha1.SyncOperationResult{}
	}
	if os.Phase == v1alpha1.OperationTerminating {
		return e.Terminate(ctx, os)
	}
	run := RunID(os)
	done := map[string]bool{}
	for _, rr := range os.SyncResult.Resources {
		done[ResultKey(rr)] = true
	}
	dryRun := os.Operation.Sync != nil && os.Operation.Sync.DryRun
	for _, step := range plan.Steps {
		var pending []Task
		for _, task := range step.Tasks {
			task.Object = HookInstance(task, run)
			if !done[TaskKey(task)] {
				pending = append(pending, task)
			}
		}
		if len(pending) == 0 {
			continue
		}
		if !dryRun {
			if stop, err := e.settle(ctx, os, syncFail)(e.gate(ctx, os)); stop {
				return err
			}
		}
		if !dryRun && createsHooks(pending) {
			if err := e.persist(ctx, os); err != nil {
				return err
			}
		}
		if stop, err := e.settle(ctx, os, syncFail)(e.runTasks(ctx, os, pending, dryRun)); stop {
			return err
		}
	}
	if len(plan.AwaitingConfirmation) > 0 {
		// Everything else has run; the held prunes wait for the
		// Application's approval, and then this same operation prunes
		// them and ends.
		os.Message = "waiting for pruning confirmation of " + strings.Join(plan.AwaitingConfirmation, ", ")
		return nil
	}
	if stop, err := e.settle(ctx, os, syncFail)(e.hooksFinished(ctx, os)); stop {
		return err
	}
	e.finish(os, v1alpha1.OperationSucceeded, "successfully synced (all tasks run)")
	return nil
}

// settle takes what a stage of the pass came to: an error fails the
// operation (a failed checkpoint only ends the pass), a wait leaves it
// Running with the wait as its message. stop reports whether the pass ends
// here.
func (e *Engine) settle(ctx context.Context, os *v1alpha1.OperationState, syncFail []*unstructured.Unstructured) func(string, error) (stop bool, _ error) {
	return func(waiting string, err error) (bool, error) {
		if err != nil {
			return true, e.Fail(ctx, os, err, syncFail)
		}
		if waiting != "" {
			os.Message = waiting
			return true, nil
		}
		return false, nil
	}
}

// Fail ends the operation with err, after creating its SyncFail hooks
// (not waited for). Their creation is recorded first, so a restart does
// not create them twice.
func (e *Engine) Fail(ctx context.Context, os *v1alpha1.OperationState, err error, syncFail []*unstructured.Unstructured) error {
	if errors.Is(err, ErrNotPersisted) {
		return err
	}
	msg := err.Error()
	if os.SyncResult == nil {
		os.SyncResult = &v1alpha1.SyncOperationResult{}
	}
	if os.Operation.Sync != nil && !os.Operation.Sync.DryRun {
		run := RunID(os)
		var hooks []Task
		for _, obj := range syncFail {
			task := Task{Action: ActionApply, Object: obj, Phase: PhaseSyncFail, Hook: true, Options: Options{Validate: true}}
			task.Object = HookInstance(task, run)
			hooks = append(hooks, task)
		}
		if len(hooks) > 0 {
			if err := e.persist(ctx, os); err != nil {
				return err
			}
		}
		if _, hookErr := e.runTasks(ctx, os, hooks, false); errors.Is(hookErr, ErrNotPersisted) {
			return hookErr
		} else if hookErr != nil {
			msg += "; SyncFail hooks: " + hookErr.Error()
		}
	}
	e.finish(os, v1alpha1.OperationFailed, msg)
	return nil
}

// SyncFailHooks are the objects among desired that run when a sync fails.
func SyncFailHooks(desired []*unstructured.Unstructured) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, obj := range desired {
		if h := HookOf(obj); h.IsHook && !h.Skip && h.Runs(PhaseSyncFail) {
			out = append(out, obj)
		}
	}
	return out
}

func (e *Engine) finish(os *v1alpha1.OperationState, phase v1alpha1.OperationPhase, msg string) {
	now := metav1.NewTime(e.Clock.Now()).Rfc3339Copy()
	os.Phase, os.Message, os.FinishedAt = phase, msg, &now
}

// persist records os before a side effect that must not be repeated.
func (e *Engine) persist(ctx context.Context, os *v1alpha1.OperationState) error {
	if os.Operation.Sync != nil && os.Operation.Sync.DryRun {
		return nil
	}
	if err := e.Cluster.Persist(ctx, os); err != nil {
		if errors.Is(err, ErrNotPersisted) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrNotPersisted, err)
	}
	return nil
}

// createsHooks reports whether any of tasks creates a hook.
func createsHooks(tasks []Task) bool {
	for _, task := range tasks {
		if task.Hook && task.Action != ActionPrune {
			return true
		}
	}
	return false
}
