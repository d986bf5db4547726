package application

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	gosync "sync"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// A requested operation ends in two writes: status.operationState records
// it finished, then .operation is cleared. They cannot be one: the
// Application CRD has a status subresource, so a status write ignores
// .operation and a write of the object ignores its status. When the
// clearing fails, the next pass finds in .operation the very request that
// status.operationState says has run: a leftover, to clear and not to run
// again. A user who asks for the same sync again once it was cleared
// (Sync clicked twice with the same options) writes the same request, and
// that one must run.
//
// metadata.generation tells them apart: the API server raises it at every
// change outside metadata and status, so clearing .operation and writing
// it again raise it at least twice, while a leftover stays at the
// generation its operation ran from, whatever status or annotation writes
// came since. The controller remembers that generation per Application,
// in memory (finished): a request is a leftover only when it equals the
// finished operation and is read at exactly that generation. A restarted
// controller remembers nothing and runs a request equal to the last
// operation: no new request is ever lost, and a leftover runs again only
// when the clearing failed and the controller stopped before a later pass
// cleared it. Clearing itself is retried across another write (see
// clearAgain), so a user's edit landing between the two writes does not
// leave a leftover behind.

// finished remembers, per Application, the object and generation that the
// last requested operation ran from.
type finished struct {
	mu gosync.Mutex
	m  map[string]ranFrom
}

type ranFrom struct {
	uid        types.UID
	generation int64
}

// record notes that app's request has run from the version read.
func (f *finished) record(app *v1alpha1.Application) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]ranFrom{}
	}
	f.m[appKey(app)] = ranFrom{uid: app.UID, generation: app.Generation}
}

// leftover reports whether app's operation is a request that has run and
// only awaits its clearing. What is remembered of an Application whose
// request is gone is dropped: any request it is given later is new.
func (f *finished) leftover(app *v1alpha1.Application) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if app.Operation == nil {
		delete(f.m, appKey(app))
		return false
	}
	from, ok := f.m[appKey(app)]
	return ok && isLeftover(app, from)
}

func (f *finished) forget(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.m, key)
}

// isLeftover reports whether app's operation is the finished operation
// of its status and app is the version that operation ran from.
func isLeftover(app *v1alpha1.Application, from ranFrom) bool {
	last := app.Status.OperationState
	return app.Operation != nil && last != nil && last.Phase.Completed() &&
		app.UID == from.uid && app.Generation == from.generation &&
		equality.Semantic.DeepEqual(*app.Operation, last.Operation)
}

// clearAttempts bounds how many times one pass tries to clear a request
// that other writes keep getting ahead of.
const clearAttempts = 3

// errClearRaced is a clearing that other writes kept getting ahead of;
// the work queue retries the pass.
var errClearRaced = errors.New("other writes kept changing the Application while its finished request was cleared")

// clearAgain clears the request ran after the clearing conflicted with
// another write. It reads the Application afresh (the cache may lag) and
// clears the request only while it is certainly the one that ran: equal
// to it, and at most one generation on from the last version known to
// hold it, so one write came between and it left .operation alone. Two
// writes or more may have cleared the request and written it again; such
// a request, or another one, or none, is left to the pass the write
// queues.
func (r *Reconciler) clearAgain(ctx context.Context, st *state, ran v1alpha1.Operation, generation int64) error {
	for range clearAttempts {
		fresh := &v1alpha1.Application{}
		// A read of the status subresource comes from the API server, not
		// from the cache, and returns the whole Application.
		if err := r.Client.SubResource("status").Get(ctx, st.app, fresh); err != nil {
			return client.IgnoreNotFound(err)
		}
		if fresh.UID != st.app.UID || fresh.Operation == nil || fresh.Generation > generation+1 ||
			!equality.Semantic.DeepEqual(*fresh.Operation, ran) {
			return nil
		}
		generation = fresh.Generation
		r.finished.record(fresh)
		data, err := json.Marshal(map[string]any{"metadata": map[string]any{"resourceVersion": fresh.ResourceVersion}, "operation": nil})
		if err != nil {
			return err
		}
		err = r.Client.Patch(ctx, fresh, client.RawPatch(types.MergePatchType, data))
		if mayHaveWritten(err) {
			st.replaced = append(st.replaced, fresh.ResourceVersion)
		}
		if !apierrors.IsConflict(err) {
			return err
		}
	}
	return fmt.Errorf("application %s: %w", st.app.Name, errClearRaced)
}

// mayHaveWritten reports whether a write that returned err may have
// changed the object: it succeeded, or its outcome is unknown (the API
// server did not answer, or answered that it timed out). A write the
// API server refused changed nothing.
func mayHaveWritten(err error) bool {
	var status apierrors.APIStatus
	if err == nil || !errors.As(err, &status) {
		return true
	}
	return apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err)
}
