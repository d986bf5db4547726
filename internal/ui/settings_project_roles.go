package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// projectRoleRoutes add, change and delete a project's roles, and create
// and revoke their tokens.
func (u *UI) projectRoleRoutes() []route {
	const base = "/settings/projects/{name}/roles"
	return []route{
		{pattern: "POST " + base, handle: u.saveRole},
		{pattern: "POST " + base + "/delete", handle: u.deleteRole},
		{pattern: "POST " + base + "/token", handle: u.createRoleToken},
		{pattern: "POST " + base + "/token/delete", handle: u.deleteRoleToken},
	}
}

// saveRole adds the role of the form, or changes the role of that name
// (keeping its tokens) when the form edits one.
func (u *UI) saveRole(w http.ResponseWriter, r *http.Request, c *call) {
	f := r.PostForm
	u.updateProject(w, r, c, "role-saved", func(p *v1alpha1.AppProject) error {
		role := v1alpha1.ProjectRole{
			Name:        strings.TrimSpace(f.Get("role")),
			Description: strings.TrimSpace(f.Get("description")),
			Policies:    formLines(f.Get("policies")),
			Groups:      formLines(f.Get("groups")),
		}
		return setRole(p, role, f.Get("new") == "1")
	})
}

// setRole puts role into p: a new one (refused when the name is taken)
// or in place of the role of the same name, whose tokens it keeps.
func setRole(p *v1alpha1.AppProject, role v1alpha1.ProjectRole, isNew bool) error {
	if role.Name == "" {
		return fmt.Errorf("a role needs a name")
	}
	i := slices.IndexFunc(p.Spec.Roles, func(pr v1alpha1.ProjectRole) bool { return pr.Name == role.Name })
	switch {
	case i >= 0 && isNew:
		return fmt.Errorf("there is already a role %s", role.Name)
	case i >= 0:
		role.JWTTokens = p.Spec.Roles[i].JWTTokens
		p.Spec.Roles[i] = role
	case isNew:
		p.Spec.Roles = append(p.Spec.Roles, role)
	default:
		return fmt.Errorf("there is no role %s any more", role.Name)
	}
	return nil
}

func (u *UI) deleteRole(w http.ResponseWriter, r *http.Request, c *call) {
	name := r.PostFormValue("role")
	u.updateProject(w, r, c, "role-deleted", func(p *v1alpha1.AppProject) error {
		p.Spec.Roles = slices.DeleteFunc(p.Spec.Roles, func(pr v1alpha1.ProjectRole) bool { return pr.Name == name })
		return nil
	})
}

// createRoleToken makes a token for a role and shows it this once: the
// API keeps only its issue time and id.
func (u *UI) createRoleToken(w http.ResponseWriter, r *http.Request, c *call) {
	role := r.PostFormValue("role")
	apiPath := path("/api/v1/projects", []string{r.PathValue("name"), "roles", role, "token"}, nil)
	u.createToken(w, r, c, apiPath, func(token string) {
		u.showProject(w, r, c, notice{}, &newToken{Owner: "role " + role, Token: token})
	})
}

// createToken asks the API at apiPath for a token with the form's id and
// lifetime, and has show draw the page that shows it, once.
func (u *UI) createToken(w http.ResponseWriter, r *http.Request, c *call, apiPath string, show func(token string)) {
	expires, err := expiresIn(r.PostFormValue("expiresIn"))
	if err != nil {
		u.renderError(w, r, c, http.StatusBadRequest, err.Error())
		return
	}
	var out struct {
		Token string `json:"token"`
	}
	body := map[string]any{"id": strings.TrimSpace(r.PostFormValue("id")), "expiresIn": expires}
	if _, err := c.do(http.MethodPost, apiPath, body, &out); err != nil {
		u.fail(w, r, c, err)
		return
	}
	show(out.Token)
}

func (u *UI) deleteRoleToken(w http.ResponseWriter, r *http.Request, c *call) {
	project, role := r.PathValue("name"), r.PostFormValue("role")
	q := url.Values{}
	if id := r.PostFormValue("id"); id != "" {
		q.Set("id", id)
	}
	if _, err := c.do(http.MethodDelete, path("/api/v1/projects", []string{project, "roles", role, "token", r.PostFormValue("iat")}, q), nil, nil); err != nil {
		u.fail(w, r, c, err)
		return
	}
	redirectDone(w, r, projectURL(project), "token-deleted")
}

// expiresIn reads a token's lifetime, a Go duration such as "24h" or
// "90m", as seconds; "" is a token that does not expire.
func expiresIn(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return n, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Second {
		return 0, fmt.Errorf("%q is not a lifetime: write it as 24h, 30m or a number of seconds", s)
	}
	return int64(d / time.Second), nil
}
