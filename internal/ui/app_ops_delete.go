package ui

import (
	"fmt"
	"net/http"
	"net/url"
)

// opsCascades are the choices of the delete form: what happens to the
// Application's resources. The first is the default.
var opsCascades = []struct{ Value, Label string }{
	{"foreground", "Delete the resources, then the application (foreground)"},
	{"background", "Delete the application, the resources in the background"},
	{"none", "Keep the resources (non-cascading)"},
}

// opsDeleteView is the delete page's data.
type opsDeleteView struct {
	App      *opsApp
	Cascades []struct{ Value, Label string }
	// Cascade is the choice made; Typed the name typed to confirm.
	Cascade, Typed string
}

// opsDeleteQuery is the query of the API's DELETE for the form's cascade
// choice.
func opsDeleteQuery(cascade string) (url.Values, error) {
	switch cascade {
	case "foreground", "background":
		return url.Values{"cascade": {"true"}, "propagationPolicy": {cascade}}, nil
	case "none":
		return url.Values{"cascade": {"false"}}, nil
	}
	return nil, fmt.Errorf("unknown cascade choice %q: pick foreground, background or none", cascade)
}

func (u *UI) showDelete(w http.ResponseWriter, r *http.Request, c *call, status int, app *opsApp) {
	v := opsDeleteView{App: app, Cascades: opsCascades, Cascade: r.PostFormValue("cascade"), Typed: r.PostFormValue("confirm")}
	if v.Cascade == "" {
		v.Cascade = opsCascades[0].Value
	}
	u.render(w, r, c, status, "app_ops_delete", "Delete "+app.Name, "applications", v)
}

// opsDelete deletes the Application once its name was typed, with the
// cascade chosen, and goes to the list of applications.
func (u *UI) opsDelete(w http.ResponseWriter, r *http.Request, c *call) {
	t := opsTargetOf(r)
	if r.PostFormValue("confirm") != t.name {
		u.opsRefused(w, r, c, &APIError{Status: http.StatusBadRequest, Message: "Type the application's name, " + t.name + ", to confirm."}, u.showDelete)
		return
	}
	q, err := opsDeleteQuery(r.PostFormValue("cascade"))
	if err == nil {
		_, err = c.do(http.MethodDelete, t.api(nil, q), nil, nil)
	}
	if err != nil {
		if statusOf(err) == http.StatusInternalServerError {
			err = &APIError{Status: http.StatusBadRequest, Message: err.Error()}
		}
		u.opsRefused(w, r, c, err, u.showDelete)
		return
	}
	opsRedirect(w, r, "/applications", "deleted")
}
