package sync

import (
	"fmt"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// OperationSources are the sources a sync operation renders: the
// operation's own (a rollback names the history entry's), else the
// Application's; at the operation's revision, or its revisions one per
// source, when it names them (any commit, tag or branch, whatever the
// sources' targetRevision). A nil operation renders the Application's
// sources as they are.
func OperationSources(spec *v1alpha1.ApplicationSpec, op *v1alpha1.SyncOperation) v1alpha1.ApplicationSources {
	sources := spec.GetSources()
	if op == nil {
		return sources
	}
	switch {
	case len(op.Sources) > 0:
		sources = op.Sources
	case op.Source != nil:
		sources = v1alpha1.ApplicationSources{*op.Source}
	}
	out := make(v1alpha1.ApplicationSources, len(sources))
	for i, src := range sources {
		src.DeepCopyInto(&out[i])
		switch {
		case i < len(op.Revisions) && op.Revisions[i] != "":
			out[i].TargetRevision = op.Revisions[i]
		case len(op.Revisions) == 0 && len(out) == 1 && op.Revision != "":
			out[i].TargetRevision = op.Revision
		}
	}
	return out
}

// HooksRun reports whether a sync operation runs hooks: not under the
// apply strategy (which a rollback uses), as in Argo CD.
func HooksRun(op *v1alpha1.SyncOperation) bool {
	return op == nil || op.SyncStrategy == nil || op.SyncStrategy.Apply == nil
}

// Rollback is the operation that rolls app back to its history entry id:
// a sync of that entry's revision(s) and source(s) with the apply strategy
// (no hooks), as Argo CD's rollback. It is refused while automated sync
// is on (it would sync the Application straight back) or an operation
// runs.
func Rollback(app *v1alpha1.Application, id int64, prune, dryRun bool, user string) (v1alpha1.Operation, error) {
	if app.Spec.SyncPolicy.IsAutomatedSyncEnabled() {
		return v1alpha1.Operation{}, fmt.Errorf("rollback of Application %s cannot be initiated when auto-sync is enabled", app.Name)
	}
	if os := app.Status.OperationState; app.Operation != nil || (os != nil && !os.Phase.Completed()) {
		return v1alpha1.Operation{}, fmt.Errorf("rollback of Application %s: another operation is already in progress", app.Name)
	}
	for _, h := range app.Status.History {
		if h.ID != id {
			continue
		}
		sync := &v1alpha1.SyncOperation{Prune: prune, DryRun: dryRun,
			SyncStrategy: &v1alpha1.SyncStrategy{Apply: &v1alpha1.SyncStrategyApply{}}}
		if len(h.Sources) > 0 {
			sync.Sources, sync.Revisions = h.Sources, h.Revisions
			if len(h.Revisions) == 0 {
				sync.Revision = h.Revision
			}
		} else {
			src := h.Source
			sync.Source, sync.Revision = &src, h.Revision
		}
		return v1alpha1.Operation{Sync: sync, InitiatedBy: v1alpha1.OperationInitiator{Username: user}}, nil
	}
	return v1alpha1.Operation{}, fmt.Errorf("rollback of Application %s: no history entry with id %d", app.Name, id)
}
