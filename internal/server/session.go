package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/capstan-cd/capstan/internal/session"
)

// Sessions authenticates with a session.Manager: capstan's sessions and
// API tokens.
type Sessions struct{ Manager *session.Manager }

var _ Authenticator = Sessions{}

// Authenticate implements Authenticator.
func (s Sessions) Authenticate(ctx context.Context, token string) (Principal, error) {
	id, err := s.Manager.Authenticate(ctx, token)
	if err != nil {
		return Principal{}, err
	}
	return Principal{Subject: id.Subject, Groups: id.Groups, Issuer: id.Issuer, TokenID: id.TokenID, Claims: id.Claims}, nil
}

// sessionRoutes log in and out, and tell who is logged in.
func (a *API) sessionRoutes() []route {
	return []route{
		{pattern: "POST /api/v1/session", public: true, handle: a.login, doc: "Log in with a local account's name and password"},
		{pattern: "DELETE /api/v1/session", public: true, handle: a.logout, doc: "Log out: the session's token is refused from then on"},
		{pattern: "GET /api/v1/session/userinfo", public: true, handle: a.userInfo, doc: "Tell who the caller is"},
	}
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type tokenResponse struct {
	Token string `json:"token"`
}

// login answers a token for a local account's name and password, and
// keeps it in the session cookie for the web UI.
func (a *API) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if !readJSON(w, r, &req) {
		return
	}
	if a.Sessions == nil {
		writeError(w, http.StatusNotImplemented, "local accounts are not served here")
		return
	}
	token, id, err := a.Sessions.Login(r.Context(), req.Username, req.Password)
	switch {
	case errors.Is(err, session.ErrLocked):
		writeError(w, http.StatusTooManyRequests, "%v", err)
		return
	case errors.Is(err, session.ErrInvalidCredentials):
		writeError(w, http.StatusUnauthorized, "Invalid username or password")
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, "log in: %v", err)
		return
	}
	setTokenCookie(w, r, token, id.ExpiresAt)
	writeJSON(w, http.StatusOK, tokenResponse{Token: token})
}

// logout refuses the caller's session from now on, on every replica, and
// clears the cookie. Without a valid session it only clears the cookie.
// When the logout cannot be recorded for the other replicas, the answer
// is 500: the session is refused only by this one.
func (a *API) logout(w http.ResponseWriter, r *http.Request) {
	setTokenCookie(w, r, "", time.Unix(1, 0))
	if token := bearer(r); token != "" && a.Sessions != nil {
		if err := a.Sessions.Logout(r.Context(), token); err != nil {
			writeError(w, http.StatusInternalServerError, "log out: %v", err)
			return
		}
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

type userInfo struct {
	LoggedIn bool     `json:"loggedIn"`
	Username string   `json:"username,omitempty"`
	Issuer   string   `json:"iss,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

// userInfo tells who the caller is; a caller without a valid session is
// told it is not logged in.
func (a *API) userInfo(w http.ResponseWriter, r *http.Request) {
	token := bearer(r)
	if token == "" || a.Auth == nil {
		writeJSON(w, http.StatusOK, userInfo{})
		return
	}
	p, err := a.Auth.Authenticate(r.Context(), token)
	if err != nil {
		writeJSON(w, http.StatusOK, userInfo{})
		return
	}
	writeJSON(w, http.StatusOK, userInfo{LoggedIn: true, Username: p.Subject, Issuer: p.Issuer, Groups: p.Groups})
}

// setTokenCookie keeps token in the session cookie until expires: out of
// reach of scripts, sent only over TLS when the request came over TLS.
func setTokenCookie(w http.ResponseWriter, r *http.Request, token string, expires time.Time) {
	c := &http.Cookie{
		Name:     TokenCookie,
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	}
	if !expires.IsZero() {
		c.Expires = expires
	}
	if token == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}
