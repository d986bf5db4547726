package ui

import (
	"net/http"
	"net/url"
)

// userRoutes are the User info page and the change of one's password.
func (u *UI) userRoutes() []route {
	return []route{
		{pattern: "GET /user-info", handle: u.userInfoPage},
		{pattern: "POST /user-info/password", handle: u.changePassword},
	}
}

// localIssuer is the issuer of local accounts' sessions, the only ones
// with a password capstan keeps.
const localIssuer = "argocd"

// canActions are the actions the User info page asks about, per resource.
var canActions = []string{"get", "create", "update", "delete", "sync"}

// canRow is what a user may do on every object of one resource.
type canRow struct {
	Resource string
	// Can has an answer per action of canActions: "yes", "no", or "" where
	// the action does not apply to the resource.
	Can []string
}

// canResources are the resources the page asks about, the object that
// stands for all of them, and the actions that apply.
var canResources = []struct {
	resource, object string
	actions          map[string]bool
}{
	{"applications", "*/*", map[string]bool{"get": true, "create": true, "update": true, "delete": true, "sync": true}},
	{"projects", "*", map[string]bool{"get": true, "create": true, "update": true, "delete": true}},
	{"repositories", "*", map[string]bool{"get": true, "create": true, "update": true, "delete": true}},
	{"clusters", "*", map[string]bool{"get": true, "create": true, "update": true, "delete": true}},
	{"accounts", "*", map[string]bool{"get": true, "update": true}},
}

type userInfoView struct {
	Done    notice
	Actions []string
	Can     []canRow
	// Local is whether the user is a local account, which has a password
	// to change here.
	Local bool
	Error string
}

func (u *UI) userInfoPage(w http.ResponseWriter, r *http.Request, c *call) {
	u.showUserInfo(w, r, c, http.StatusOK, "")
}

func (u *UI) showUserInfo(w http.ResponseWriter, r *http.Request, c *call, status int, msg string) {
	me, err := c.user()
	if err != nil {
		u.fail(w, r, c, err)
		return
	}
	v := userInfoView{Done: doneNotice(r), Actions: canActions, Local: me.Issuer == localIssuer, Error: msg}
	for _, res := range canResources {
		row := canRow{Resource: res.resource}
		for _, a := range canActions {
			answer := ""
			if res.actions[a] {
				answer = "no"
				if c.can(res.resource, a, res.object) {
					answer = "yes"
				}
			}
			row.Can = append(row.Can, answer)
		}
		v.Can = append(v.Can, row)
	}
	u.render(w, r, c, status, "user_info", "User info", "user", v)
}

// changePassword changes the signed-in user's password; the API checks
// the current one.
func (u *UI) changePassword(w http.ResponseWriter, r *http.Request, c *call) {
	f := r.PostForm
	if f.Get("newPassword") != f.Get("confirmPassword") {
		u.showUserInfo(w, r, c, http.StatusBadRequest, "The new password and its confirmation differ.")
		return
	}
	body := map[string]string{"currentPassword": f.Get("currentPassword"), "newPassword": f.Get("newPassword")}
	if _, err := c.do(http.MethodPut, "/api/v1/account/password", body, nil); err != nil {
		if statusOf(err) == http.StatusUnauthorized {
			u.fail(w, r, c, err)
			return
		}
		u.showUserInfo(w, r, c, statusOf(err), apiErrorMessage(err))
		return
	}
	// A new password ends the sessions signed in with the old one, this
	// one too: sign in again, and come back here.
	back := "/user-info?" + url.Values{"done": {"password-changed"}}.Encode()
	http.Redirect(w, r, "/login?"+url.Values{"return_url": {back}}.Encode(), http.StatusSeeOther)
}
