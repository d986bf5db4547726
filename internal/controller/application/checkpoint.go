package application

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/internal/sync"
)

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
		return fmt.Errorf("%w: Application %s: %w", sync.ErrNotPersisted, st.app.Name, err)
	}
	st.replaced = append(st.replaced, saved.ResourceVersion)
	st.saved = next
	next.ObjectMeta.DeepCopyInto(&st.app.ObjectMeta)
	return nil
}

// interrupted reports whether err is a failed checkpoint, which ends the
// pass (to be retried with backoff) rather than the operation.
func interrupted(st *state, err error) bool {
	if !errors.Is(err, sync.ErrNotPersisted) {
		return false
	}
	st.persistErr = err
	return true
}
