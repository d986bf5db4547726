package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/sync"
)

// rollbackRequest is the body of POST /api/v1/applications/{name}/rollback.
type rollbackRequest struct {
	ID     int64String `json:"id"`
	Prune  bool        `json:"prune,omitempty"`
	DryRun bool        `json:"dryRun,omitempty"`
}

// int64String is an int64 of a request, which Argo CD's gateway reads
// from a JSON string (as it writes one) and clients may send as a number.
type int64String int64

func (n *int64String) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseInt(string(bytes.Trim(b, `"`)), 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not an integer", b)
	}
	*n = int64String(v)
	return nil
}

// rollbackApplication answers POST /api/v1/applications/{name}/rollback:
// a sync of a history entry's revision and source, without hooks, refused
// while automated sync is on. It needs the sync permission.
func (a *API) rollbackApplication(w http.ResponseWriter, r *http.Request) {
	var req rollbackRequest
	if !readJSON(w, r, &req) {
		return
	}
	app, ok := a.appFor(w, r, "sync")
	if !ok {
		return
	}
	user := callerName(r)
	a.startOperation(w, r, app, func(cur *v1alpha1.Application) (v1alpha1.Operation, error) {
		op, err := sync.Rollback(cur, int64(req.ID), req.Prune, req.DryRun, user)
		if err != nil {
			return op, &specError{status: http.StatusBadRequest, err: err}
		}
		return op, nil
	})
}

// terminateOperation answers DELETE /api/v1/applications/{name}/operation.
// A running operation is set Terminating, which the controller ends
// (deleting the hooks it runs) as Failed; a requested one that has not
// started is withdrawn.
func (a *API) terminateOperation(w http.ResponseWriter, r *http.Request) {
	app, ok := a.appFor(w, r, "sync")
	if !ok {
		return
	}
	err := a.terminate(r.Context(), app)
	switch {
	case errors.Is(err, errNoOperation):
		writeError(w, http.StatusBadRequest, "unable to terminate operation of Application %s: no operation is in progress", app.Name)
	case err != nil:
		writeKubeError(w, err, "terminate the operation of Application %s", app.Name)
	default:
		writeJSON(w, http.StatusOK, struct{}{})
	}
}

var errNoOperation = errors.New("no operation is in progress")

// terminate ends the operation of app, deciding afresh after a conflict.
func (a *API) terminate(ctx context.Context, app *v1alpha1.Application) error {
	_, err := a.writeWith(ctx, app, func(cur *v1alpha1.Application) (bool, error) {
		switch os := cur.Status.OperationState; {
		case os != nil && !os.Phase.Completed():
			os.Phase = v1alpha1.OperationTerminating
			return true, nil
		case busy(cur):
			cur.Operation = nil
			return false, nil
		}
		return false, errNoOperation
	})
	return err
}
