package ui

import (
	"net/http"
)

// loginRoutes sign users in and out.
func (u *UI) loginRoutes() []route {
	return []route{
		{pattern: "GET /{$}", public: true, handle: func(w http.ResponseWriter, r *http.Request, _ *call) {
			http.Redirect(w, r, "/applications", http.StatusSeeOther)
		}},
		{pattern: "GET /login", public: true, handle: u.loginPage},
		{pattern: "POST /login", public: true, handle: u.login},
		{pattern: "POST /logout", handle: u.logout},
	}
}

// loginView is the login page's data.
type loginView struct {
	// Return is where to go once signed in.
	Return string
	// Username is the name last tried.
	Username string
	// Error says why the last try failed.
	Error string
	// SSO names the single sign-on provider; empty when none is set up.
	SSO string
	// LocalDisabled is set when argocd-cm turns user logins off.
	LocalDisabled bool
}

func (u *UI) loginPage(w http.ResponseWriter, r *http.Request, c *call) {
	u.showLogin(w, r, c, http.StatusOK, loginView{Return: localPath(r.URL.Query().Get("return_url"))})
}

func (u *UI) showLogin(w http.ResponseWriter, r *http.Request, c *call, status int, v loginView) {
	var s struct {
		UserLoginsDisabled bool `json:"userLoginsDisabled"`
		OIDCConfig         *struct {
			Name string `json:"name"`
		} `json:"oidcConfig"`
		DexConfig *struct {
			Connectors []struct {
				Name string `json:"name"`
			} `json:"connectors"`
		} `json:"dexConfig"`
	}
	if err := c.get("/api/v1/settings", &s); err == nil {
		v.LocalDisabled = s.UserLoginsDisabled
		if s.OIDCConfig != nil {
			v.SSO = s.OIDCConfig.Name
			if v.SSO == "" {
				v.SSO = "SSO"
			}
		}
	}
	// The login page is drawn as if nobody were signed in.
	c.token = ""
	u.render(w, r, c, status, "login", "Sign in", "", v)
}

// login signs a local user in: the API checks the password and sets the
// session cookie, which this answer passes on to the browser.
func (u *UI) login(w http.ResponseWriter, r *http.Request, c *call) {
	v := loginView{Return: localPath(r.PostFormValue("return_url")), Username: r.PostFormValue("username")}
	resp, err := c.do(http.MethodPost, "/api/v1/session", map[string]string{
		"username": v.Username,
		"password": r.PostFormValue("password"),
	}, nil)
	if err != nil {
		v.Error = err.Error()
		if ae, ok := err.(*APIError); ok {
			v.Error = ae.Message
		}
		u.showLogin(w, r, c, statusOf(err), v)
		return
	}
	passCookies(w, resp)
	if v.Return == "/" {
		v.Return = "/applications"
	}
	http.Redirect(w, r, v.Return, http.StatusSeeOther)
}

// logout ends the session in the API, which clears the cookie.
func (u *UI) logout(w http.ResponseWriter, r *http.Request, c *call) {
	resp, err := c.do(http.MethodDelete, "/api/v1/session", nil, nil)
	if err == nil {
		passCookies(w, resp)
	} else {
		http.SetCookie(w, &http.Cookie{Name: tokenCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil})
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// passCookies hands the cookies the API set on to the browser.
func passCookies(w http.ResponseWriter, resp *response) {
	for _, sc := range resp.header.Values("Set-Cookie") {
		w.Header().Add("Set-Cookie", sc)
	}
}
