package ui

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/project"
)

// projectWindowRoutes add and delete a project's sync windows.
func (u *UI) projectWindowRoutes() []route {
	const base = "/settings/projects/{name}/windows"
	return []route{
		{pattern: "POST " + base, handle: u.addWindow},
		{pattern: "POST " + base + "/delete", handle: u.deleteWindow},
	}
}

func (u *UI) addWindow(w http.ResponseWriter, r *http.Request, c *call) {
	f := r.PostForm
	win := v1alpha1.SyncWindow{
		Kind:         f.Get("kind"),
		Schedule:     strings.TrimSpace(f.Get("schedule")),
		Duration:     strings.TrimSpace(f.Get("duration")),
		Applications: formList(f.Get("applications")),
		Namespaces:   formList(f.Get("namespaces")),
		Clusters:     formList(f.Get("clusters")),
		ManualSync:   f.Get("manualSync") == "on",
		TimeZone:     strings.TrimSpace(f.Get("timeZone")),
		Description:  strings.TrimSpace(f.Get("description")),
	}
	u.updateProject(w, r, c, "window-added", func(p *v1alpha1.AppProject) error {
		if err := checkWindow(win); err != nil {
			return err
		}
		p.Spec.SyncWindows = append(p.Spec.SyncWindows, win)
		return nil
	})
}

// checkWindow refuses a window the controller could not use, before it
// is saved.
func checkWindow(w v1alpha1.SyncWindow) error {
	switch {
	case w.Kind != "allow" && w.Kind != "deny":
		return fmt.Errorf("a window is of kind allow or deny, not %q", w.Kind)
	case w.Schedule == "" || w.Duration == "":
		return fmt.Errorf("a window needs a schedule and a duration")
	case len(w.Applications)+len(w.Namespaces)+len(w.Clusters) == 0:
		return fmt.Errorf("a window needs applications, namespaces or clusters to apply to (* for all)")
	}
	if _, err := project.ActiveWindows(v1alpha1.SyncWindows{w}, time.Now()); err != nil {
		return err
	}
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
