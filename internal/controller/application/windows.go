package application

import (
	"fmt"
	"time"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/project"
)

// windowHolds reports whether the sync windows of the Application's project
// hold back the operation os in this pass. A new automated sync is not
// started (a SyncError condition says why); a sync a user asked for, or
// one already running, stays Running with a message saying what blocks it
// and resumes when the windows allow, as in Argo CD. The pass comes back
// when a window next opens or closes.
func (r *Reconciler) windowHolds(st *state, os *v1alpha1.OperationState, started bool) bool {
	if st.project == nil || len(st.project.Spec.SyncWindows) == 0 || os.Phase == v1alpha1.OperationTerminating {
		return false
	}
	manual := !os.Operation.InitiatedBy.Automated
	w, err := project.SyncWindowsAt(st.project.Spec.SyncWindows, project.WindowTarget{
		Application: st.app.Name, Namespace: st.app.Spec.Destination.Namespace,
		Server: st.target.cluster.Server, ClusterName: st.target.cluster.Name,
	}, st.now)
	var why string
	switch {
	case err != nil:
		why = fmt.Sprintf("sync blocked: the sync windows of project %s cannot be read: %v", st.project.Name, err)
	case w.Allows(manual):
		return false
	default:
		why = w.Blocked(manual)
		if !w.NextChange.IsZero() {
			why += fmt.Sprintf("; the windows change at %s", w.NextChange.UTC().Format(time.RFC3339))
		}
		r.comeBackAt(st, w.NextChange)
	}
	st.condition(v1alpha1.ApplicationConditionSyncError, why)
	if started || !os.Operation.InitiatedBy.Automated {
		os.Message = why
		st.app.Status.OperationState = os
	}
	return true
}

// comeBackAt makes the pass come back at t, when that is sooner than it
// would anyway.
func (r *Reconciler) comeBackAt(st *state, t time.Time) {
	if t.IsZero() {
		return
	}
	wait := t.Sub(st.now) + time.Second // past the instant the window turns
	resync := r.Opts.Resync
	if st.settings != nil && r.Settings != nil {
		resync = st.settings.Resync
	}
	if resync > 0 && wait >= resync {
		return
	}
	st.requeueWithin(wait)
}
