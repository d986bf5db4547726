package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/capstan-cd/capstan/internal/session"
	"github.com/capstan-cd/capstan/internal/settings"
)

// stateCookie carries a sign-in in progress from /auth/login to
// /auth/callback: its state, PKCE verifier and where to return.
const stateCookie = "argocd.oauthstate"

// ssoTimeout bounds a sign-in at the provider.
const ssoTimeout = 5 * time.Minute

// ssoRoutes sign users in through the OIDC provider of oidc.config.
func (a *API) ssoRoutes() []route {
	return []route{
		{pattern: "GET /auth/login", public: true, handle: a.ssoLogin, doc: "Send the browser to the OIDC provider to sign in", query: []string{"return_url"}},
		{pattern: "GET /auth/callback", public: true, handle: a.ssoCallback, doc: "Finish a sign-in at the OIDC provider", query: []string{"code", "state", "error", "error_description"}},
	}
}

type ssoState struct {
	State    string `json:"s"`
	Verifier string `json:"v"`
	Return   string `json:"r"`
}

// ssoLogin sends the browser to the provider, with a PKCE challenge and a
// state that the callback checks against the cookie set here.
func (a *API) ssoLogin(w http.ResponseWriter, r *http.Request) {
	conf, ok := a.ssoConfig(w, r)
	if !ok {
		return
	}
	st := ssoState{State: rand.Text(), Verifier: oauth2.GenerateVerifier(), Return: localPath(r.URL.Query().Get("return_url"))}
	data, _ := json.Marshal(st)
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: base64.RawURLEncoding.EncodeToString(data), Path: "/auth/callback",
		MaxAge: int(ssoTimeout / time.Second), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, conf.AuthCodeURL(st.State, oauth2.S256ChallengeOption(st.Verifier)), http.StatusSeeOther)
}

// ssoCallback takes the provider's answer: the code is exchanged, with
// the verifier, for an ID token, which becomes the session cookie.
func (a *API) ssoCallback(w http.ResponseWriter, r *http.Request) {
	conf, ok := a.ssoConfig(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		writeError(w, http.StatusUnauthorized, "sign-in refused by the provider: %s %s", e, q.Get("error_description"))
		return
	}
	st, err := readState(r)
	if err != nil || subtle.ConstantTimeCompare([]byte(st.State), []byte(q.Get("state"))) != 1 {
		writeError(w, http.StatusBadRequest, "no sign-in in progress, or its state does not match")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Path: "/auth/callback", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil})
	token, id, err := a.Sessions.Exchange(r.Context(), conf, q.Get("code"), st.Verifier)
	if err != nil {
		writeError(w, http.StatusUnauthorized, "sign-in: %v", err)
		return
	}
	setTokenCookie(w, r, token, id.ExpiresAt)
	http.Redirect(w, r, st.Return, http.StatusSeeOther)
}

// ssoConfig is the OAuth2 configuration, answering on /auth/callback of
// argocd-cm's url (or of the host the request came to); it answers the
// error when there is none.
func (a *API) ssoConfig(w http.ResponseWriter, r *http.Request) (*oauth2.Config, bool) {
	if a.Sessions == nil {
		writeError(w, http.StatusNotFound, "%v", session.ErrNoSSO)
		return nil, false
	}
	base := ""
	if a.Settings != nil {
		base = strings.TrimSuffix(a.Settings.Current().Value(settings.ConfigMap, "url"), "/")
	}
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	conf, err := a.Sessions.SSO(r.Context(), base+"/auth/callback")
	switch {
	case errors.Is(err, session.ErrNoSSO):
		writeError(w, http.StatusNotFound, "%v", err)
		return nil, false
	case err != nil:
		writeError(w, http.StatusInternalServerError, "single sign-on: %v", err)
		return nil, false
	}
	return conf, true
}

// readState is the sign-in in progress of the state cookie.
func readState(r *http.Request) (ssoState, error) {
	var st ssoState
	c, err := r.Cookie(stateCookie)
	if err != nil {
		return st, err
	}
	data, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return st, err
	}
	err = json.Unmarshal(data, &st)
	if err == nil && st.State == "" {
		err = errors.New("empty state")
	}
	return st, err
}

// localPath is where to return after a sign-in: a path of this server,
// never another site.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	return p
}
