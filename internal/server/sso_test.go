package server

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/capstan-cd/capstan/internal/session"
	"github.com/capstan-cd/capstan/internal/settings"
)

// TestSSOLogin signs a user in through a real OIDC provider (mockoidc)
// with PKCE: the ID token becomes the session cookie, its groups reach
// RBAC.
func TestSSOLogin(t *testing.T) {
	provider, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = provider.Shutdown() })
	cfg := provider.Config()
	provider.QueueUser(&mockoidc.MockUser{Subject: "jane", Email: "jane@example.com", Groups: []string{"team-a"}})
	ts := newTestServer(t,
		withConfigMap(settings.ConfigMap, map[string]string{"oidc.config": fmt.Sprintf(
			"name: Mock\nissuer: %s\nclientID: %s\nclientSecret: $oidc.clientSecret\nrequestedScopes: [openid, email, groups]\n", cfg.Issuer, cfg.ClientID)}),
		withSecret(map[string]string{"oidc.clientSecret": cfg.ClientSecret}),
		withConfigMap(settings.RBAC, map[string]string{"policy.csv": "g, team-a, role:readonly"}),
	)
	browser := *ts.http
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	get := func(u string, cookies ...*http.Cookie) *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	cookie := func(resp *http.Response, name string) *http.Cookie {
		for _, c := range resp.Cookies() {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("%s %s set no cookie %s", resp.Request.Method, resp.Request.URL, name)
		return nil
	}

	login := get(ts.URL + "/auth/login?return_url=/applications")
	authorize, err := url.Parse(login.Header.Get("Location"))
	if err != nil || login.StatusCode != http.StatusSeeOther {
		t.Fatalf("/auth/login: %d to %q", login.StatusCode, login.Header.Get("Location"))
	}
	if q := authorize.Query(); q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		t.Errorf("the sign-in asks for no PKCE challenge: %s", authorize)
	}
	state := cookie(login, stateCookie)
	// The provider signs jane in and sends the browser back.
	back := get(authorize.String())
	callback := back.Header.Get("Location")
	if back.StatusCode != http.StatusFound || callback == "" {
		t.Fatalf("the provider answered %d to %q", back.StatusCode, callback)
	}
	// Without the state cookie the answer is refused.
	if resp := get(callback); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a callback without the state cookie: %d, want 400", resp.StatusCode)
	}
	done := get(callback, state)
	if done.StatusCode != http.StatusSeeOther || done.Header.Get("Location") != "/applications" {
		t.Fatalf("callback: %d to %q", done.StatusCode, done.Header.Get("Location"))
	}
	token := cookie(done, TokenCookie).Value

	var info userInfo
	ts.decode(t, ts.do(t, token, http.MethodGet, "/api/v1/session/userinfo", nil), http.StatusOK, &info)
	if diff := cmp.Diff(userInfo{LoggedIn: true, Username: "jane", Issuer: cfg.Issuer, Groups: []string{"team-a"}}, info); diff != "" {
		t.Errorf("userinfo (-want +got):\n%s", diff)
	}
	var can struct{ Value string }
	ts.decode(t, ts.do(t, token, http.MethodGet, "/api/v1/account/can-i/applications/get/default/guestbook", nil), http.StatusOK, &can)
	if can.Value != "yes" {
		t.Errorf("team-a's readonly role: can-i get = %q, want yes", can.Value)
	}
	// A token that is not the provider's is refused.
	ts.decode(t, ts.do(t, token+"x", http.MethodGet, "/api/v1/account", nil), http.StatusUnauthorized, nil)
	// Logging out ends the session, though the provider's token has not
	// expired, on this replica and on another.
	ts.status(t, token, http.MethodDelete, "/api/v1/session", nil, http.StatusOK)
	ts.decode(t, ts.do(t, token, http.MethodGet, "/api/v1/account", nil), http.StatusUnauthorized, nil)
	other := session.New(session.Options{Namespace: ts.Namespace, Client: ts.Client})
	if _, err := other.Authenticate(t.Context(), token); err == nil {
		t.Error("another replica accepted an SSO session logged out")
	}
}
