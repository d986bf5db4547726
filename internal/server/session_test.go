package server

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/internal/session"
)

func TestSessionLogin(t *testing.T) {
	ts := newTestServer(t, withAccount("alice", "login", "password-alice"))
	ts.decode(t, ts.do(t, "", http.MethodPost, "/api/v1/session", map[string]string{"username": "alice", "password": "wrong"}), http.StatusUnauthorized, nil)

	resp := ts.do(t, "", http.MethodPost, "/api/v1/session", map[string]string{"username": "alice", "password": "password-alice"})
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == TokenCookie {
			cookie = c
		}
	}
	var out tokenResponse
	ts.decode(t, resp, http.StatusOK, &out)
	if cookie == nil || cookie.Value != out.Token || !cookie.HttpOnly || !cookie.Secure {
		t.Errorf("cookie %+v, want the token, HttpOnly and Secure over TLS", cookie)
	}

	var info userInfo
	ts.decode(t, ts.do(t, out.Token, http.MethodGet, "/api/v1/session/userinfo", nil), http.StatusOK, &info)
	if diff := cmp.Diff(userInfo{LoggedIn: true, Username: "alice", Issuer: session.Issuer}, info); diff != "" {
		t.Errorf("userinfo (-want +got):\n%s", diff)
	}
	ts.decode(t, ts.do(t, "", http.MethodGet, "/api/v1/session/userinfo", nil), http.StatusOK, &info)
	if info.LoggedIn {
		t.Errorf("userinfo without a token: %+v", info)
	}

	ts.decode(t, ts.do(t, out.Token, http.MethodDelete, "/api/v1/session", nil), http.StatusOK, nil)
	ts.decode(t, ts.do(t, out.Token, http.MethodGet, "/api/v1/account/alice", nil), http.StatusUnauthorized, nil)
}

func TestSessionLockout(t *testing.T) {
	ts := newTestServer(t, withAccount("alice", "login", "password-alice"), withLockout(session.LockoutPolicy{MaxFailures: 2}))
	for range 2 {
		ts.decode(t, ts.do(t, "", http.MethodPost, "/api/v1/session", map[string]string{"username": "alice", "password": "guess"}), http.StatusUnauthorized, nil)
	}
	ts.decode(t, ts.do(t, "", http.MethodPost, "/api/v1/session", map[string]string{"username": "alice", "password": "password-alice"}), http.StatusTooManyRequests, nil)
	// Another name is not locked.
	ts.loginAdmin(t)
}
