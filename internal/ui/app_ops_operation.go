package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// opsOperationView is the operation page's data: the running or last
// operation, or the one requested and not started yet.
type opsOperationView struct {
	App *opsApp
	// State is the operation as the controller reports it; nil when none
	// ran yet.
	State *v1alpha1.OperationState
	// Requested is an operation asked for that the controller has not
	// taken up yet.
	Requested *v1alpha1.Operation
	// Running is set while the operation may still be terminated.
	Running bool
}

// opsOperation is what the page shows of app's operations.
func opsOperation(app *v1alpha1.Application) opsOperationView {
	v := opsOperationView{State: app.Status.OperationState}
	if app.Operation != nil && (v.State == nil || v.State.Phase.Completed()) {
		v.Requested = app.Operation
	}
	v.Running = v.Requested != nil || (v.State != nil && !v.State.Phase.Completed())
	return v
}

func (u *UI) showOperation(w http.ResponseWriter, r *http.Request, c *call, status int, app *opsApp) {
	v := opsOperation(app.Application)
	v.App = app
	u.render(w, r, c, status, "app_ops_operation", "Operation of "+app.Name, "applications", v)
}

// opsTerminate asks the API to end the running operation.
func (u *UI) opsTerminate(w http.ResponseWriter, r *http.Request, c *call) {
	t := opsTargetOf(r)
	if _, err := c.do(http.MethodDelete, t.api([]string{"operation"}, nil), nil, nil); err != nil {
		u.opsRefused(w, r, c, err, u.showOperation)
		return
	}
	opsRedirect(w, r, t.page("operation"), "terminate")
}

// opsRefused shows the API's refusal of a form on the page show draws,
// or the login page when the session is gone.
func (u *UI) opsRefused(w http.ResponseWriter, r *http.Request, c *call, refused error, show func(http.ResponseWriter, *http.Request, *call, int, *opsApp)) {
	app, err := u.loadOpsApp(r, c)
	if err != nil || statusOf(refused) == http.StatusUnauthorized {
		u.fail(w, r, c, refused)
		return
	}
	app.Error = opsMessage(refused)
	show(w, r, c, statusOf(refused), app)
}

// opsRefresh asks the API for a normal or a hard refresh, which answers
// once the controller has compared the Application afresh, and goes back
// to the page the form was on.
func (u *UI) opsRefresh(w http.ResponseWriter, r *http.Request, c *call) {
	t := opsTargetOf(r)
	kind, done := v1alpha1.RefreshTypeNormal, "refresh"
	if r.PostFormValue("hard") == "true" {
		kind, done = v1alpha1.RefreshTypeHard, "hard-refresh"
	}
	back := localPath(r.PostFormValue("return"))
	if back == "/" {
		back = t.page()
	}
	if err := c.get(t.api(nil, url.Values{"refresh": {kind}}), nil); err != nil {
		u.fail(w, r, c, err)
		return
	}
	opsRedirect(w, r, back, done)
}

// opsSyncFlags says in a line how a sync was asked for: dry run, prune,
// a selection of resources, its sync options.
func opsSyncFlags(s *v1alpha1.SyncOperation) string {
	var out []string
	if s.DryRun {
		out = append(out, "dry run")
	}
	if s.Prune {
		out = append(out, "prune")
	}
	if n := len(s.Resources); n > 0 {
		out = append(out, fmt.Sprintf("%d selected resources", n))
	}
	return strings.Join(append(out, s.SyncOptions...), ", ")
}
