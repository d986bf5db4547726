package application

import (
	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/sync"
)

// sources are what this pass renders and checks against the project: the
// Application's sources, or, while a sync a user asked for is requested
// or running, those of that sync (another revision, or a history entry's
// source for a rollback).
func (st *state) sources() v1alpha1.ApplicationSources {
	return sync.OperationSources(&st.app.Spec, userSync(st.app, st.leftover))
}

// userSync is the sync a user asked for that this pass starts or resumes;
// nil when there is none, when the request is a leftover that has run
// (see finished), or when it is automated (an automated sync follows the
// Application's sources).
func userSync(app *v1alpha1.Application, leftover bool) *v1alpha1.SyncOperation {
	last := app.Status.OperationState
	if op := app.Operation; op != nil && op.Sync != nil && !op.InitiatedBy.Automated {
		if leftover {
			return nil
		}
		return op.Sync
	}
	if last != nil && !last.Phase.Completed() && !last.Operation.InitiatedBy.Automated {
		return last.Operation.Sync
	}
	return nil
}

// syncedSources records, in an operation's result, the sources it synced:
// the operation's own when it names them (a rollback), else the
// Application's. Its revisions are recorded apart.
func syncedSources(result *v1alpha1.SyncOperationResult, spec *v1alpha1.ApplicationSpec, op *v1alpha1.SyncOperation) {
	switch {
	case op != nil && len(op.Sources) > 0:
		result.Sources = op.Sources
	case op != nil && op.Source != nil:
		result.Source = *op.Source
	case spec.Source != nil:
		result.Source = *spec.Source
	default:
		result.Sources = spec.Sources
	}
}
