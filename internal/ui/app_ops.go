package ui

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// The operations on an Application live under its page,
// /applications/{namespace}/{name}/: each is a page of its own that works
// without JavaScript, and each form goes through the REST API with the
// user's token, so the API's RBAC and rules decide.

// appOpsRoutes are the pages and forms of operations on one Application.
func (u *UI) appOpsRoutes() []route {
	const base = "/applications/{namespace}/{name}/"
	return []route{
		{pattern: "GET " + base + "sync", handle: u.opsSyncPage},
		{pattern: "POST " + base + "sync", handle: u.opsSync},
		{pattern: "POST " + base + "refresh", handle: u.opsRefresh},
		{pattern: "GET " + base + "history", handle: u.opsShow(u.showHistory)},
		{pattern: "POST " + base + "rollback", handle: u.opsRollback},
		{pattern: "GET " + base + "delete", handle: u.opsShow(u.showDelete)},
		{pattern: "POST " + base + "delete", handle: u.opsDelete},
		{pattern: "GET " + base + "operation", handle: u.opsShow(u.showOperation)},
		{pattern: "POST " + base + "terminate", handle: u.opsTerminate},
		{pattern: "GET " + base + "parameters", handle: u.opsShow(u.showParameters)},
		{pattern: "POST " + base + "parameters", handle: u.opsParameters},
	}
}

// opsApp is the Application an operation page is about, with what the
// user may do to it.
type opsApp struct {
	*v1alpha1.Application
	// Page is the Application's own page.
	Page string
	// Stream is the API's event stream of this Application alone.
	Stream string
	// CanSync, CanUpdate and CanDelete are the user's rights, to hide
	// the forms RBAC would refuse.
	CanSync, CanUpdate, CanDelete bool
	// Done says which action just succeeded (from ?done=), Error why the
	// last one failed.
	Done, Error string
	// CSRF is the forms' token; Return the page to come back to after a
	// refresh.
	CSRF, Return string
}

func init() {
	addFuncs(template.FuncMap{"opsHas": slices.Contains[[]string], "opsShort": opsShort, "opsFirstLine": opsFirstLine, "opsSyncFlags": opsSyncFlags})
}

// opsShort shortens a commit SHA to the 7 characters people quote; any
// other revision (a tag, a chart version) stays whole.
func opsShort(rev string) string {
	if len(rev) == 40 && strings.Trim(rev, "0123456789abcdef") == "" {
		return rev[:7]
	}
	return rev
}

// opsFirstLine is the subject line of a commit message.
func opsFirstLine(msg string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	return line
}

// opsTarget is the namespace and name of the Application of a request.
type opsTarget struct{ namespace, name string }

func opsTargetOf(r *http.Request) opsTarget {
	return opsTarget{namespace: r.PathValue("namespace"), name: r.PathValue("name")}
}

// api is the API path of the Application, with more segments and query.
func (t opsTarget) api(segments []string, query url.Values) string {
	if query == nil {
		query = url.Values{}
	}
	query.Set("appNamespace", t.namespace)
	return path("/api/v1/applications", append([]string{t.name}, segments...), query)
}

// page is the UI path of the Application's page, with more segments.
func (t opsTarget) page(segments ...string) string {
	return path("/applications", append([]string{t.namespace, t.name}, segments...), nil)
}

// loadOpsApp reads the Application of r through the API and asks what the
// user may do with it.
func (u *UI) loadOpsApp(r *http.Request, c *call) (*opsApp, error) {
	t := opsTargetOf(r)
	var app v1alpha1.Application
	if err := c.get(t.api(nil, nil), &app); err != nil {
		return nil, err
	}
	object := app.Spec.Project + "/" + app.Name
	return &opsApp{
		Application: &app,
		Page:        t.page(),
		Stream:      path("/api/v1/stream/applications", nil, url.Values{"name": {app.Name}, "appNamespace": {t.namespace}}),
		CanSync:     c.can("applications", "sync", object),
		CanUpdate:   c.can("applications", "update", object),
		CanDelete:   c.can("applications", "delete", object),
		Done:        r.URL.Query().Get("done"),
		CSRF:        c.csrf(),
		Return:      r.URL.Path,
	}, nil
}

// opsShow is the handler of a page that show draws for the request's
// Application.
func (u *UI) opsShow(show func(http.ResponseWriter, *http.Request, *call, int, *opsApp)) func(http.ResponseWriter, *http.Request, *call) {
	return func(w http.ResponseWriter, r *http.Request, c *call) {
		app, err := u.loadOpsApp(r, c)
		if err != nil {
			u.fail(w, r, c, err)
			return
		}
		show(w, r, c, http.StatusOK, app)
	}
}

// opsMessage is the message of an API error, for a form to show.
func opsMessage(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Message
	}
	return err.Error()
}

// opsRedirect sends the browser to target with done=what, after a form
// succeeded.
func opsRedirect(w http.ResponseWriter, r *http.Request, target, what string) {
	http.Redirect(w, r, withQuery(target, "done", what), http.StatusSeeOther)
}
