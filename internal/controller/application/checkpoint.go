package application

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// annotationHookRun, on a hook the controller created, names the run of
// the operation that created it (see runID). A pass that finds a hook of
// its own run already there adopts it rather than create it again: the
// write that recorded its creation was lost, or the controller stopped
// before making it.
const annotationHookRun = "capstan.dev/hook-run"

// errNotPersisted marks a failed checkpoint: the step it guarded did not
// run, and the operation is not failed for it.
var errNotPersisted = errors.New("the operation's progress could not be recorded")

// persist writes the running operation's progress (st.operation) to the
// Application's status before a step whose effects are not idempotent:
// creating a hook, deleting a finished one. The write is conditional on the
// version the pass read or last wrote, and confirmed before the step runs,
// so that a pass that loses its last write, or a controller that stops,
// resumes from what the cluster holds and never runs a finished hook
// again. Applies and prunes need no checkpoint: running them again
// converges to the same state.
func (r *Reconciler) persist(ctx context.Context, st *state) error {
	os := st.operation
	if os == nil || os.Operation.Sync == nil || os.Operation.Sync.DryRun {
		return nil
	}
	saved := st.saved
	if equality.Semantic.DeepEqual(saved.Status.OperationState, os) {
		return nil
	}
	next := saved.DeepCopy()
	next.Status.OperationState = os.DeepCopy()
	if err := r.Client.Status().Patch(ctx, next, client.MergeFromWithOptions(saved, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("%w: Application %s: %w", errNotPersisted, st.app.Name, err)
	}
	st.replaced = append(st.replaced, saved.ResourceVersion)
	st.saved = next
	next.ObjectMeta.DeepCopyInto(&st.app.ObjectMeta)
	return nil
}

// interrupted reports whether err is a failed checkpoint, which ends the
// pass (to be retried with backoff) rather than the operation.
func interrupted(st *state, err error) bool {
	if !errors.Is(err, errNotPersisted) {
		return false
	}
	st.persistErr = err
	return true
}

// runID names one run of an operation: its start and its attempt.
func runID(os *v1alpha1.OperationState) string {
	if os == nil {
		return ""
	}
	return os.StartedAt.UTC().Format(time.RFC3339) + "#" + strconv.FormatInt(os.RetryCount, 10)
}

// ranHere reports whether live is a hook created by the run id.
func ranHere(live *unstructured.Unstructured, id string) bool {
	return live != nil && id != "" && live.GetAnnotations()[annotationHookRun] == id
}

// markRun is a copy of a hook that names the run creating it.
func markRun(obj *unstructured.Unstructured, id string) *unstructured.Unstructured {
	out := obj.DeepCopy()
	ann := out.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[annotationHookRun] = id
	out.SetAnnotations(ann)
	return out
}
