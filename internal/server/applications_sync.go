package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/project"
)

// syncRequest is the body of POST /api/v1/applications/{name}/sync, with
// the field names of Argo CD's ApplicationSyncRequest.
type syncRequest struct {
	Revision      string                           `json:"revision,omitempty"`
	Revisions     []string                         `json:"revisions,omitempty"`
	Positions     []int64String                    `json:"sourcePositions,omitempty"`
	DryRun        bool                             `json:"dryRun,omitempty"`
	Prune         bool                             `json:"prune,omitempty"`
	Strategy      *v1alpha1.SyncStrategy           `json:"strategy,omitempty"`
	Resources     []v1alpha1.SyncOperationResource `json:"resources,omitempty"`
	Manifests     []string                         `json:"manifests,omitempty"`
	Infos         []v1alpha1.Info                  `json:"infos,omitempty"`
	RetryStrategy *v1alpha1.RetryStrategy          `json:"retryStrategy,omitempty"`
	SyncOptions   *struct {
		Items []string `json:"items,omitempty"`
	} `json:"syncOptions,omitempty"`
}

// errBusy refuses an operation while another is requested or running.
var errBusy = errors.New("another operation is already in progress")

// syncApplication answers POST /api/v1/applications/{name}/sync: it
// writes the requested sync as the Application's operation, initiated by
// the caller, for the controller to run. Local manifests, or a revision
// other than what the Application follows, need the override
// permission, as in Argo CD.
func (a *API) syncApplication(w http.ResponseWriter, r *http.Request) {
	var req syncRequest
	if !readJSON(w, r, &req) {
		return
	}
	app, ok := a.appFor(w, r, "sync")
	if !ok {
		return
	}
	if overrides(app, req) && !a.allowed(w, r, resourceApplications, "override", rbacObject(app)) {
		return
	}
	op, err := syncOperation(app, req, callerName(r))
	if err != nil {
		writeError(w, http.StatusBadRequest, "sync Application %s: %v", app.Name, err)
		return
	}
	if blocked := a.windowBlocks(r.Context(), app); blocked != "" {
		writeError(w, http.StatusForbidden, "cannot sync Application %s: %s", app.Name, blocked)
		return
	}
	a.startOperation(w, r, app, func(*v1alpha1.Application) (v1alpha1.Operation, error) { return op, nil })
}

// syncOperation is the operation req asks of app, refused where Argo CD
// refuses it: another revision or local manifests while automated sync
// would undo them.
func syncOperation(app *v1alpha1.Application, req syncRequest, user string) (v1alpha1.Operation, error) {
	automated := app.Spec.SyncPolicy.IsAutomatedSyncEnabled() && !req.DryRun
	if target := targetRevision(app); automated && req.Revision != "" && req.Revision != target {
		return v1alpha1.Operation{}, fmt.Errorf("cannot sync to %s: auto-sync currently set to %s", req.Revision, target)
	}
	if automated && len(req.Manifests) > 0 {
		return v1alpha1.Operation{}, errors.New("cannot use local sync when automated sync is enabled unless for dry run")
	}
	revisions, err := sourceRevisions(app, req.Revisions, req.Positions)
	if err != nil {
		return v1alpha1.Operation{}, err
	}
	op := v1alpha1.Operation{
		Sync: &v1alpha1.SyncOperation{Revision: req.Revision, Revisions: revisions, Prune: req.Prune, DryRun: req.DryRun,
			SyncStrategy: req.Strategy, Resources: req.Resources, Manifests: req.Manifests},
		InitiatedBy: v1alpha1.OperationInitiator{Username: user},
		Info:        req.Infos,
	}
	if req.SyncOptions != nil {
		op.Sync.SyncOptions = req.SyncOptions.Items
	}
	if req.RetryStrategy != nil {
		op.Retry = *req.RetryStrategy
	}
	return op, nil
}

// overrides reports whether req syncs something else than what app
// follows: local manifests, or another revision of a source.
func overrides(app *v1alpha1.Application, req syncRequest) bool {
	if len(req.Manifests) > 0 || (req.Revision != "" && req.Revision != targetRevision(app)) {
		return true
	}
	for i, pos := range req.Positions {
		if i < len(req.Revisions) && pos >= 1 && int(pos) <= len(app.Spec.Sources) &&
			req.Revisions[i] != "" && req.Revisions[i] != app.Spec.Sources[pos-1].TargetRevision {
			return true
		}
	}
	return false
}

// targetRevision is the revision app follows: its first source's, HEAD
// when unset.
func targetRevision(app *v1alpha1.Application) string {
	if rev := app.Spec.GetSource().TargetRevision; rev != "" {
		return rev
	}
	return "HEAD"
}

// sourceRevisions places revisions at their sources' positions (counted
// from 1) among app's sources; a source without one keeps its target.
func sourceRevisions(app *v1alpha1.Application, revisions []string, positions []int64String) ([]string, error) {
	if len(revisions) == 0 && len(positions) == 0 {
		return nil, nil
	}
	if len(revisions) != len(positions) {
		return nil, fmt.Errorf("%d revisions for %d sourcePositions: give one revision per position", len(revisions), len(positions))
	}
	n := len(app.Spec.Sources)
	if n == 0 {
		return nil, errors.New("revisions and sourcePositions apply to an Application with spec.sources; use revision")
	}
	out := make([]string, n)
	for i, pos := range positions {
		if pos < 1 || int(pos) > n {
			return nil, fmt.Errorf("source position %d is out of range: the Application has %d sources", pos, n)
		}
		out[pos-1] = revisions[i]
	}
	return out, nil
}

// windowBlocks says why the sync windows of app's project refuse a
// manual sync now; empty when they allow it.
func (a *API) windowBlocks(ctx context.Context, app *v1alpha1.Application) string {
	p, err := a.projectNamed(ctx, projectOf(app))
	if err != nil || len(p.Spec.SyncWindows) == 0 {
		return "" // the controller reports a missing project
	}
	dest, _ := a.resolveDestination(ctx, app.Spec.Destination)
	windows, err := project.SyncWindowsAt(p.Spec.SyncWindows, project.WindowTarget{
		Application: app.Name, Namespace: dest.Namespace, Server: dest.Server, ClusterName: dest.Name,
	}, time.Now())
	switch {
	case err != nil:
		return fmt.Sprintf("the sync windows of project %s cannot be read: %v", p.Name, err)
	case !windows.Allows(true):
		return windows.Blocked(true)
	}
	return ""
}

// errRequestRan is a request equal to the one that has run, which the
// controller has yet to clear.
var errRequestRan = errors.New("the same request has run and is not cleared yet")

// startOperation writes the operation next makes of the current
// Application, unless one is already requested or running, and answers
// with the Application. A request equal to the one that has run, still
// there because the controller has yet to clear it, is cleared first:
// written over itself it would change nothing, and the controller, which
// tells a new request by the generation it raises, would take it for the
// one that ran.
func (a *API) startOperation(w http.ResponseWriter, r *http.Request, app *v1alpha1.Application, next func(*v1alpha1.Application) (v1alpha1.Operation, error)) {
	request := func(cur *v1alpha1.Application) error {
		if busy(cur) {
			return errBusy
		}
		op, err := next(cur)
		if err != nil {
			return err
		}
		if cur.Operation != nil && equality.Semantic.DeepEqual(*cur.Operation, op) {
			return errRequestRan
		}
		cur.Operation = &op
		return nil
	}
	updated, err := a.writeApp(r.Context(), app, request)
	if errors.Is(err, errRequestRan) {
		var cleared *v1alpha1.Application
		cleared, err = a.writeApp(r.Context(), app, func(cur *v1alpha1.Application) error {
			if busy(cur) {
				return errBusy
			}
			cur.Operation = nil
			return nil
		})
		if err == nil {
			updated, err = a.writeApp(r.Context(), cleared, request)
		}
	}
	var se *specError
	switch {
	case errors.Is(err, errBusy), errors.As(err, &se):
		writeError(w, http.StatusBadRequest, "%v", err)
	case err != nil:
		writeKubeError(w, err, "request an operation on Application %s", app.Name)
	default:
		writeJSON(w, http.StatusOK, updated)
	}
}

// busy reports whether app has an operation requested or running. A
// request that already ran, which the controller has yet to clear, does
// not count.
func busy(app *v1alpha1.Application) bool {
	last := app.Status.OperationState
	if last != nil && !last.Phase.Completed() {
		return true
	}
	return app.Operation != nil && (last == nil || !equality.Semantic.DeepEqual(*app.Operation, last.Operation))
}

// callerName is who an operation is initiated by: the caller's subject.
func callerName(r *http.Request) string {
	p, _ := PrincipalFrom(r.Context())
	return p.Subject
}
