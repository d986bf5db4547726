package ui

import (
	"fmt"
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
		// Single sign-on is the API's; a failure of it is shown on the
		// login page rather than as the API's JSON.
		{pattern: "GET /auth/login", public: true, handle: u.sso},
		{pattern: "GET /auth/callback", public: true, handle: u.sso},
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

// sso passes a step of single sign-on to the API as the browser sent it,
// with the sign-in's state cookie. The API answers a redirect, to the
// provider or back to the page the user started from, which is passed on;
// anything else is a failure (the provider refused, the sign-in expired,
// oidc.config is wrong), shown on the login page with a way to try again.
func (u *UI) sso(w http.ResponseWriter, r *http.Request, c *call) {
	resp := &response{header: http.Header{}}
	u.API.ServeHTTP(resp, r)
	var msg string
	switch big := oversizedCookie(resp); {
	case resp.status/100 == 3 && big == nil:
		for k, v := range resp.header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.status)
		return
	case resp.status/100 == 3:
		// The browser would drop the session cookie without a word, and
		// the next page would lead back to the login page.
		// The others go on: one of them clears the sign-in's state.
		resp.status = http.StatusBadGateway
		passCookiesBut(w, resp, big.Name)
		msg = fmt.Sprintf("the provider's ID token is %d bytes, more than the %d a browser keeps in a cookie; have the provider put fewer groups or claims in it",
			len(big.Value), maxCookie)
	default:
		if resp.status == 0 {
			resp.status = http.StatusInternalServerError
		}
		passCookies(w, resp)
		msg = apiMessage(resp)
	}
	w.Header().Set("Content-Security-Policy", pageCSP)
	u.showLogin(w, r, c, resp.status, loginView{Return: "/", Error: "Single sign-on failed: " + msg})
}

// maxCookie is the most a browser keeps of a cookie's name and value:
// a longer one is dropped.
const maxCookie = 4096

// oversizedCookie is a cookie of resp too long for a browser to keep.
func oversizedCookie(resp *response) *http.Cookie {
	for _, sc := range resp.header.Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(sc); err == nil && len(c.Name)+len(c.Value) > maxCookie {
			return c
		}
	}
	return nil
}

// passCookies hands the cookies the API set on to the browser.
func passCookies(w http.ResponseWriter, resp *response) { passCookiesBut(w, resp, "") }

// passCookiesBut hands on the cookies the API set but the one named skip.
func passCookiesBut(w http.ResponseWriter, resp *response, skip string) {
	for _, sc := range resp.header.Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(sc); skip == "" || err != nil || c.Name != skip {
			w.Header().Add("Set-Cookie", sc)
		}
	}
}
