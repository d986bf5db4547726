package ui

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// The sync page draws its form alone, without the page around it, when
// asked with ?fragment=form: the Application page's script shows that
// form in a dialog, and posts it back with the same query, which answers
// 204 No Content once the API has taken the sync, or the form again with
// the API's refusal.
const syncFormPart = "form"

// asPart says whether r asks for the sync form alone.
func asPart(r *http.Request) bool { return r.URL.Query().Get("fragment") == syncFormPart }

// opsSyncOptions are the sync options the sync form offers as
// checkboxes, in the order shown, with what each does.
var opsSyncOptions = []struct{ Option, Label string }{
	{"Validate=false", "Skip schema validation"},
	{"CreateNamespace=true", "Create the destination namespace"},
	{"PruneLast=true", "Prune last, after everything else is applied"},
	{"ApplyOutOfSyncOnly=true", "Apply out of sync resources only"},
	{"Replace=true", "Replace instead of apply"},
	{"ServerSideApply=true", "Server-side apply"},
}

// opsPropagation are the prune propagation policies; the first is the
// default, which the form does not send.
var opsPropagation = []string{"foreground", "background", "orphan"}

// opsSyncForm is what the sync form holds: read from a submitted form,
// or the defaults of a new one.
type opsSyncForm struct {
	Revision  string
	Prune     bool
	DryRun    bool
	Force     bool
	ApplyOnly bool
	Options   []string
	PruneProp string
	Selected  []string
	Submitted bool
}

// opsResource is one managed resource the sync may be limited to.
type opsResource struct {
	Key                          string
	Group, Kind, Namespace, Name string
	Modified                     bool
}

// opsResourceKey names a resource in a form: group/kind/namespace/name,
// none of which may hold a slash (a group's may not, an empty one is "").
func opsResourceKey(group, kind, namespace, name string) string {
	return strings.Join([]string{group, kind, namespace, name}, "/")
}

// parseSyncForm reads a submitted sync form.
func parseSyncForm(f url.Values) opsSyncForm {
	on := func(k string) bool { return f.Get(k) == "true" }
	var opts []string
	for _, o := range f["option"] {
		if slices.ContainsFunc(opsSyncOptions, func(c struct{ Option, Label string }) bool { return c.Option == o }) {
			opts = append(opts, o)
		}
	}
	return opsSyncForm{
		Revision:  strings.TrimSpace(f.Get("revision")),
		Prune:     on("prune"),
		DryRun:    on("dryRun"),
		Force:     on("force"),
		ApplyOnly: on("applyOnly"),
		Options:   opts,
		PruneProp: f.Get("prunePropagationPolicy"),
		Selected:  f["resource"],
		Submitted: true,
	}
}

// opsSyncRequest is the body of the API's POST .../sync.
type opsSyncRequest struct {
	Revision    string                           `json:"revision,omitempty"`
	Prune       bool                             `json:"prune,omitempty"`
	DryRun      bool                             `json:"dryRun,omitempty"`
	Strategy    *v1alpha1.SyncStrategy           `json:"strategy,omitempty"`
	Resources   []v1alpha1.SyncOperationResource `json:"resources,omitempty"`
	SyncOptions *opsSyncOptionList               `json:"syncOptions,omitempty"`
}

type opsSyncOptionList struct {
	Items []string `json:"items"`
}

// selectionError is a choice of resources the sync cannot take: the form
// comes back with it, to be put right.
type selectionError struct{ msg string }

func (e selectionError) Error() string { return e.msg }

// errNoneSelected refuses a sync of no resource at all.
var errNoneSelected = selectionError{"select at least one resource to sync"}

// notListed refuses a sync of a resource the Application no longer has,
// one deleted from the source since the form was drawn, rather than
// quietly syncing the others.
func notListed(key string) error {
	p := strings.SplitN(key, "/", 4)
	if len(p) < 4 {
		return selectionError{fmt.Sprintf("%q does not name a resource", key)}
	}
	kind, name := p[1], p[3]
	if p[0] != "" {
		kind = p[0] + "/" + kind
	}
	if p[2] != "" {
		name = p[2] + "/" + name
	}
	return selectionError{fmt.Sprintf("%s %s is not a resource of this application; the form now lists the ones it has", kind, name)}
}

// request is the API request the form asks for. listed are the keys of
// the Application's resources now: when all of them are selected (or
// there are none to offer) the sync is of the whole Application, as it is
// when no resource is named; a selected one not among them is refused.
// (When the list cannot be read, the caller passes none, and the form
// offered none to select.)
func (f opsSyncForm) request(listed []string) (opsSyncRequest, error) {
	req := opsSyncRequest{Revision: f.Revision, Prune: f.Prune, DryRun: f.DryRun}
	switch {
	case f.ApplyOnly:
		req.Strategy = &v1alpha1.SyncStrategy{Apply: &v1alpha1.SyncStrategyApply{Force: f.Force}}
	case f.Force:
		req.Strategy = &v1alpha1.SyncStrategy{Hook: &v1alpha1.SyncStrategyHook{SyncStrategyApply: v1alpha1.SyncStrategyApply{Force: true}}}
	}
	opts := slices.Clone(f.Options)
	if f.PruneProp != "" && f.PruneProp != opsPropagation[0] {
		if !slices.Contains(opsPropagation, f.PruneProp) {
			return req, errors.New("prune propagation policy must be foreground, background or orphan")
		}
		opts = append(opts, "PrunePropagationPolicy="+f.PruneProp)
	}
	if len(opts) > 0 {
		req.SyncOptions = &opsSyncOptionList{Items: opts}
	}
	for _, key := range f.Selected {
		if !slices.Contains(listed, key) {
			return req, notListed(key)
		}
	}
	if len(listed) == 0 {
		return req, nil
	}
	var picked []v1alpha1.SyncOperationResource
	for _, key := range listed {
		if !slices.Contains(f.Selected, key) {
			continue
		}
		p := strings.SplitN(key, "/", 4)
		picked = append(picked, v1alpha1.SyncOperationResource{Group: p[0], Kind: p[1], Namespace: p[2], Name: p[3]})
	}
	switch len(picked) {
	case 0:
		return req, errNoneSelected
	case len(listed):
		return req, nil
	}
	req.Resources = picked
	return req, nil
}

// opsSyncView is the sync page's data.
type opsSyncView struct {
	App  *opsApp
	Form opsSyncForm
	// Resources are the Application's resources, Selected those ticked.
	Resources []opsResource
	Selected  map[string]bool
	// ListError says why the resources could not be listed.
	ListError string
	Choices   []struct{ Option, Label string }
	Policies  []string
	// Part says the form is drawn alone, for a dialog: it then shows the
	// error itself and closes the dialog on Cancel.
	Part bool
}

// opsManaged lists the resources of app the sync may be limited to: what
// the API's managed-resources answers, hooks left out.
func opsManaged(c *call, t opsTarget) ([]opsResource, error) {
	var out struct {
		Items []struct {
			Group, Kind, Namespace, Name string
			Hook, Modified               bool
		} `json:"items"`
	}
	if err := c.get(t.api([]string{"managed-resources"}, nil), &out); err != nil {
		return nil, err
	}
	res := make([]opsResource, 0, len(out.Items))
	for _, it := range out.Items {
		if it.Hook {
			continue
		}
		res = append(res, opsResource{Key: opsResourceKey(it.Group, it.Kind, it.Namespace, it.Name),
			Group: it.Group, Kind: it.Kind, Namespace: it.Namespace, Name: it.Name, Modified: it.Modified})
	}
	return res, nil
}

func (u *UI) opsSyncPage(w http.ResponseWriter, r *http.Request, c *call) {
	u.showSync(w, r, c, nil, opsSyncForm{})
}

// showSync draws the sync form f (a new one unless submitted) with the
// Application's resources, all selected in a new form, and the error of
// the last try.
func (u *UI) showSync(w http.ResponseWriter, r *http.Request, c *call, failed error, f opsSyncForm) {
	app, err := u.loadOpsApp(r, c)
	if err != nil {
		u.fail(w, r, c, err)
		return
	}
	v := opsSyncView{App: app, Form: f, Selected: map[string]bool{}, Choices: opsSyncOptions, Policies: opsPropagation, Part: asPart(r)}
	v.Resources, err = opsManaged(c, opsTargetOf(r))
	if err != nil {
		v.ListError = opsMessage(err)
	}
	for _, res := range v.Resources {
		v.Selected[res.Key] = !f.Submitted || slices.Contains(f.Selected, res.Key)
	}
	status := http.StatusOK
	if failed != nil {
		app.Error, status = opsMessage(failed), statusOf(failed)
		if errors.As(failed, new(selectionError)) {
			status = http.StatusBadRequest
		}
	}
	if v.Part {
		u.renderSyncForm(w, r, c, status, v)
		return
	}
	u.render(w, r, c, status, "app_ops_sync", "Sync "+app.Name, "applications", v)
}

// renderSyncForm writes the sync form alone, as status.
func (u *UI) renderSyncForm(w http.ResponseWriter, r *http.Request, c *call, status int, v opsSyncView) {
	var buf bytes.Buffer
	if err := u.pages.execute(&buf, "app_ops_sync", "app_ops_sync_form", view{CSRF: c.csrf(), Path: r.URL.RequestURI(), Data: v}); err != nil {
		log.FromContext(r.Context()).Error(err, "render a part of a page", "page", "app_ops_sync", "part", syncFormPart)
		http.Error(w, "the sync form could not be drawn: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeHTML(w, status, buf.Bytes())
}

// opsSync requests the sync the form describes, then goes to the
// Application's page (or, for the form alone, answers No Content); a
// refusal is shown on the form.
func (u *UI) opsSync(w http.ResponseWriter, r *http.Request, c *call) {
	t := opsTargetOf(r)
	f := parseSyncForm(r.PostForm)
	res, err := opsManaged(c, t)
	if err != nil && len(f.Selected) > 0 && statusOf(err) != http.StatusUnauthorized {
		// Without the list a choice of resources cannot be checked, and
		// syncing them all is not what was asked.
		u.showSync(w, r, c, &APIError{Status: statusOf(err), Message: "the resources could not be listed to check the selection: " + opsMessage(err)}, f)
		return
	}
	listed := make([]string, 0, len(res))
	for _, x := range res {
		listed = append(listed, x.Key)
	}
	req, err := f.request(listed)
	if err == nil {
		_, err = c.do(http.MethodPost, t.api([]string{"sync"}, nil), req, nil)
	}
	if err != nil {
		if statusOf(err) == http.StatusUnauthorized {
			u.fail(w, r, c, err)
			return
		}
		u.showSync(w, r, c, err, f)
		return
	}
	if asPart(r) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	opsRedirect(w, r, t.page(), "sync")
}
