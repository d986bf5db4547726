package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// projectWindowRoutes add, change and delete a project's sync windows.
// The API checks a window's schedule, duration and time zone; a window
// it refuses is drawn again in its form, with the API's reason.
func (u *UI) projectWindowRoutes() []route {
	const base = "/settings/projects/{name}/windows"
	return []route{
		{pattern: "POST " + base, handle: u.saveWindow},
		{pattern: "POST " + base + "/delete", handle: u.deleteWindow},
	}
}

// windowForm is the form of one sync window: a new one (Index "") or the
// window at Index. Drawn again after a refusal, it holds what the user
// wrote, the project version they wrote it against, and the reason.
type windowForm struct {
	// Page is the project's page; the form posts to its /windows.
	Page   string
	CSRF   string
	RV     string
	Index  string
	Window v1alpha1.SyncWindow
	Error  string
}

// windowFormOf is the sync window form of a project's page: the form that
// changes the window of the page's ?window=, or the one that adds a
// window. A refused form is drawn again as it was sent.
func windowFormOf(r *http.Request, c *call, p *v1alpha1.AppProject, refused *windowForm) windowForm {
	f := windowForm{RV: p.ResourceVersion, Window: v1alpha1.SyncWindow{Kind: v1alpha1.SyncWindowKindAllow}}
	if i, err := strconv.Atoi(r.URL.Query().Get("window")); err == nil && i >= 0 && i < len(p.Spec.SyncWindows) {
		f.Index, f.Window = strconv.Itoa(i), p.Spec.SyncWindows[i]
	}
	if refused != nil {
		f = *refused
	}
	f.Page, f.CSRF = projectURL(p.Name), c.csrf()
	return f
}

// Number is the window's place in the list from 1, as the API's messages
// count them; 0 for a new window.
func (f windowForm) Number() int {
	i, err := strconv.Atoi(f.Index)
	if err != nil {
		return 0
	}
	return i + 1
}

// windowOf reads a sync window's form.
func windowOf(f url.Values) v1alpha1.SyncWindow {
	return v1alpha1.SyncWindow{
		Kind:           f.Get("kind"),
		Schedule:       strings.TrimSpace(f.Get("schedule")),
		Duration:       strings.TrimSpace(f.Get("duration")),
		Applications:   formList(f.Get("applications")),
		Namespaces:     formList(f.Get("namespaces")),
		Clusters:       formList(f.Get("clusters")),
		ManualSync:     f.Get("manualSync") == "on",
		UseAndOperator: f.Get("andOperator") == "on",
		TimeZone:       strings.TrimSpace(f.Get("timeZone")),
		Description:    strings.TrimSpace(f.Get("description")),
	}
}

// saveWindow adds the form's window, or puts it in place of the window at
// the form's index.
func (u *UI) saveWindow(w http.ResponseWriter, r *http.Request, c *call) {
	form := windowForm{RV: r.PostFormValue("rv"), Index: r.PostFormValue("index"), Window: windowOf(r.PostForm)}
	err := u.changeProject(r, c, func(p *v1alpha1.AppProject) error { return putWindow(p, form.Index, form.Window) })
	switch {
	case err == nil && form.Index == "":
		redirectDone(w, r, projectURL(r.PathValue("name")), "window-added")
	case err == nil:
		redirectDone(w, r, projectURL(r.PathValue("name")), "window-saved")
	case statusOf(err) == http.StatusBadRequest:
		var ae *APIError
		form.Error = err.Error()
		if errors.As(err, &ae) {
			form.Error = ae.Message
		}
		u.drawProject(w, r, c, http.StatusBadRequest, notice{}, nil, &form)
	case statusOf(err) == http.StatusConflict:
		// The form keeps the version it was written against: saved again
		// as it is, it would put the window in place of one the user has
		// not seen.
		form.Error = fmt.Sprintf("Project %s was changed by someone else after this page was drawn, so this window was not saved. "+
			"Open the project again to see what changed, then save the window again: what you wrote is kept here.", r.PathValue("name"))
		u.drawProject(w, r, c, http.StatusConflict, notice{}, nil, &form)
	default:
		u.projectNotSaved(w, r, c, err)
	}
}

// putWindow appends win to p's windows (index "") or replaces the window
// at index with it. A window that selects nothing would never apply: the
// form asks for a selector.
func putWindow(p *v1alpha1.AppProject, index string, win v1alpha1.SyncWindow) error {
	if len(win.Applications)+len(win.Namespaces)+len(win.Clusters) == 0 {
		return fmt.Errorf("a sync window needs applications, namespaces or clusters to apply to (* for all)")
	}
	if index == "" {
		p.Spec.SyncWindows = append(p.Spec.SyncWindows, win)
		return nil
	}
	i, err := strconv.Atoi(index)
	if err != nil || i < 0 || i >= len(p.Spec.SyncWindows) {
		return fmt.Errorf("there is no sync window %s any more", index)
	}
	p.Spec.SyncWindows[i] = win
	return nil
}

// deleteWindow deletes the window at the form's index; the form's version
// of the project makes sure it is still the window the user saw.
func (u *UI) deleteWindow(w http.ResponseWriter, r *http.Request, c *call) {
	i, err := strconv.Atoi(r.PostFormValue("index"))
	u.updateProject(w, r, c, "window-deleted", func(p *v1alpha1.AppProject) error {
		if err != nil || i < 0 || i >= len(p.Spec.SyncWindows) {
			return fmt.Errorf("there is no sync window %s", r.PostFormValue("index"))
		}
		p.Spec.SyncWindows = slices.Delete(p.Spec.SyncWindows, i, i+1)
		return nil
	})
}
