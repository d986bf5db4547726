package ui

import (
	"html/template"
	"strings"
	"time"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// appHeader is what the Application page's header shows besides the
// Application's own fields: the synced commit and what the user may do.
type appHeader struct {
	// Sources are the Application's sources, one or several.
	Sources []v1alpha1.ApplicationSource
	// Revision is the synced revision; Commit its metadata when the
	// source has some (Git), nil otherwise.
	Revision string
	Commit   *revisionMeta
	// Can says which operations the user may start; the toolbar shows
	// only those.
	Can appActions
}

// revisionMeta is the API's answer on a revision: its commit's author,
// date and message.
type revisionMeta struct {
	Author  string    `json:"author"`
	Date    time.Time `json:"date"`
	Message string    `json:"message"`
}

// appActions are the operations the toolbar offers, each as RBAC allows.
type appActions struct {
	Sync, Refresh, Delete, Update bool
}

func init() {
	addFuncs(template.FuncMap{
		"appCondClass": appConditionClass,
		"appShortRev":  shortRevision,
		"appFirstLine": firstLine,
	})
}

// loadHeader reads what the header shows beyond app. A revision whose
// metadata cannot be read is shown without it.
func loadHeader(c *call, app *v1alpha1.Application) appHeader {
	h := appHeader{Sources: app.Spec.GetSources(), Revision: app.Status.Sync.Revision}
	if h.Revision != "" && !app.Spec.HasMultipleSources() && app.Spec.GetSource().Chart == "" {
		var m revisionMeta
		if c.get(appAPI(app.Namespace, app.Name, nil, "revisions", h.Revision, "metadata"), &m) == nil {
			h.Commit = &m
		}
	}
	object := app.Spec.Project + "/" + app.Name
	h.Can = appActions{
		Sync:    c.can("applications", "sync", object),
		Refresh: c.can("applications", "get", object),
		Delete:  c.can("applications", "delete", object),
		Update:  c.can("applications", "update", object),
	}
	return h
}

// appConditionClass is the class of a condition: "error" for the types
// that end in Error, "warning" for the others, as Argo CD sorts them.
func appConditionClass(t v1alpha1.ApplicationConditionType) string {
	if strings.HasSuffix(string(t), "Error") {
		return "error"
	}
	return "warning"
}

// shortRevision is a commit hash cut to 7 characters; other revisions
// (tags, chart versions) as they are.
func shortRevision(rev string) string {
	if len(rev) == 40 && strings.Trim(rev, "0123456789abcdef") == "" {
		return rev[:7]
	}
	return rev
}

// firstLine is the first line of a commit message.
func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
