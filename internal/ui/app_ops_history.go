package ui

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// opsDeployment is one entry of an Application's history, with the
// commit it deployed when the source is a Git repository.
type opsDeployment struct {
	v1alpha1.RevisionHistory
	// Source is the entry's source, or its first one.
	Source v1alpha1.ApplicationSource
	// Revision is the entry's revision, or its first source's.
	Revision string
	Author   string
	Message  string
	Date     time.Time
	// Current is the entry the Application runs now: the newest.
	Current bool
}

// opsHistoryView is the history page's data.
type opsHistoryView struct {
	App *opsApp
	// Deployments are the history's entries, newest first.
	Deployments []opsDeployment
	// Automated is set when automated sync is on, which refuses rollbacks.
	Automated bool
}

// opsDeployments are the entries of history, newest first.
func opsDeployments(history v1alpha1.RevisionHistories) []opsDeployment {
	out := make([]opsDeployment, 0, len(history))
	for _, h := range history {
		d := opsDeployment{RevisionHistory: h, Source: h.Source, Revision: h.Revision}
		if len(h.Sources) > 0 && d.Source.RepoURL == "" {
			d.Source = h.Sources[0]
		}
		if d.Revision == "" && len(h.Revisions) > 0 {
			d.Revision = h.Revisions[0]
		}
		out = append(out, d)
	}
	slices.SortStableFunc(out, func(a, b opsDeployment) int { return int(b.ID - a.ID) })
	if len(out) > 0 {
		out[0].Current = true
	}
	return out
}

func (u *UI) showHistory(w http.ResponseWriter, r *http.Request, c *call, status int, app *opsApp) {
	t := opsTargetOf(r)
	v := opsHistoryView{App: app, Deployments: opsDeployments(app.Status.History), Automated: app.Spec.SyncPolicy.IsAutomatedSyncEnabled()}
	for i, d := range v.Deployments {
		if d.Revision == "" || d.Source.Chart != "" {
			continue
		}
		var md struct {
			Author  string    `json:"author"`
			Date    time.Time `json:"date"`
			Message string    `json:"message"`
		}
		// A commit that cannot be read any more is shown without its
		// message.
		if c.get(t.api([]string{"revisions", d.Revision, "metadata"}, nil), &md) == nil {
			v.Deployments[i].Author, v.Deployments[i].Message, v.Deployments[i].Date = md.Author, md.Message, md.Date
		}
	}
	u.render(w, r, c, status, "app_ops_history", "History of "+app.Name, "applications", v)
}

// opsRollback asks the API to sync back to a history entry; the API
// refuses it while automated sync is on, and the page shows why.
func (u *UI) opsRollback(w http.ResponseWriter, r *http.Request, c *call) {
	t := opsTargetOf(r)
	id, err := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	if err != nil {
		u.renderError(w, r, c, http.StatusBadRequest, "The rollback form names no history entry.")
		return
	}
	body := map[string]any{"id": id, "prune": r.PostFormValue("prune") == "true"}
	if _, err := c.do(http.MethodPost, t.api([]string{"rollback"}, nil), body, nil); err != nil {
		u.opsRefused(w, r, c, err, u.showHistory)
		return
	}
	opsRedirect(w, r, t.page(), "rollback")
}
