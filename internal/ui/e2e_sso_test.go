package ui_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/oauth2-proxy/mockoidc"
)

// ssoUser is who the test's OIDC provider signs in, and ssoGroups the
// groups its ID token gives them.
const ssoUser = "uisso-jane"

var ssoGroups = []string{"uisso-devs", "uisso-everyone"}

// TestSSOLogin signs a user in through a real OIDC provider (mockoidc,
// which approves every sign-in without a form) in a real browser: the
// login page offers the provider once oidc.config names it, the browser
// comes back signed in where it started, the provider's groups decide
// what RBAC allows, and logging out ends the session.
func TestSSOLogin(t *testing.T) {
	s := startCapstan(t)
	ctx := browser(t)

	run(t, ctx, "open the login page without oidc.config",
		chromedp.Navigate(s.URL+"/login"), chromedp.WaitVisible(css(`input[name=username]`)))
	if n := read(t, ctx, "SSO buttons", chromedp.Evaluate[int](`document.querySelectorAll('#sso-login').length`)); n != 0 {
		t.Fatalf("without oidc.config the login page shows %d SSO buttons", n)
	}
	run(t, ctx, "ask for single sign-on without oidc.config",
		chromedp.Navigate(s.URL+"/auth/login?return_url=/applications"), chromedp.WaitVisible(css(`.login .error`)))
	if msg := read(t, ctx, "the error", chromedp.Text(css(`.login .error`))); !strings.Contains(msg, "single sign-on is not configured") {
		t.Errorf("single sign-on without oidc.config shows %q", msg)
	}

	listedApp(t, "uisso-dev-web", "default", "Synced", "Healthy")
	listedApp(t, "uisso-ops-db", "default", "Synced", "Healthy")
	provider := startOIDC(t, "Mock IdP",
		"p, role:uisso-dev, applications, get, default/uisso-dev-*, allow",
		"g, uisso-devs, role:uisso-dev")

	// A page asked for without a session leads to the login page, which
	// now offers the provider, and passes the page on to it.
	waitSSOButton(t, ctx, s.URL+"/applications")
	if got := read(t, ctx, "the SSO button", chromedp.Text(css(`#sso-login`))); got != "Log in via Mock IdP" {
		t.Errorf("the SSO button says %q", got)
	}
	href := read(t, ctx, "the SSO link", chromedp.Evaluate[string](`document.querySelector('#sso-login').getAttribute('href')`))
	if href != "/auth/login?return_url=%2fapplications" {
		t.Errorf("the SSO button leads to %q, want /auth/login returning to /applications", href)
	}
	screenshot(t, ctx, "login-sso")

	// The provider's refusal, and an answer no sign-in of this browser
	// asked for, are told on the login page, which offers to try again.
	for _, back := range []struct{ query, want string }{
		{"error=access_denied&error_description=not+in+the+team", "sign-in refused by the provider: access_denied not in the team"},
		{"code=forged&state=forged", "no sign-in in progress"},
	} {
		run(t, ctx, "come back from the provider with "+back.query,
			chromedp.Navigate(s.URL+"/auth/callback?"+back.query), chromedp.WaitVisible(css(`.login .error`)))
		if msg := read(t, ctx, "the error", chromedp.Text(css(`.login .error`))); !strings.Contains(msg, back.want) {
			t.Errorf("coming back with %s shows %q, want %q", back.query, msg, back.want)
		}
		if n := read(t, ctx, "SSO buttons", chromedp.Evaluate[int](`document.querySelectorAll('#sso-login').length`)); n != 1 {
			t.Errorf("coming back with %s offers %d SSO buttons, want 1", back.query, n)
		}
	}
	// That page is the UI's, with its protections, though at an API path.
	resp, err := http.Get(s.URL + "/auth/callback?error=access_denied")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("a refused sign-in's page answers %s with Content-Security-Policy %q, want 401 with the pages' policy",
			resp.Status, resp.Header.Get("Content-Security-Policy"))
	}

	// The provider approves at once and sends the browser back.
	provider.QueueUser(&mockoidc.MockUser{Subject: ssoUser, Email: "jane@example.com", Groups: ssoGroups})
	run(t, ctx, "sign in through the provider",
		chromedp.Navigate(s.URL+"/applications"),
		chromedp.Click(css(`#sso-login`)),
		chromedp.WaitVisible(css(`header.top .user`)),
	)
	if loc := read(t, ctx, "where", chromedp.Location()); loc != s.URL+"/applications" {
		t.Errorf("after signing in the browser is at %s, want %s/applications", loc, s.URL)
	}
	if user := read(t, ctx, "the user", chromedp.Text(css(`header.top .user`))); user != ssoUser {
		t.Errorf("the header names %q, want %s", user, ssoUser)
	}
	token := sessionCookie(t, ctx, s)

	// RBAC gives the provider's group the apps of its role, no more.
	run(t, ctx, "the list", chromedp.WaitVisible(css(`.apps-results`)))
	if got := tiles(t, ctx); !slices.Equal(got, []string{"uisso-dev-web"}) {
		t.Errorf("the SSO user's list shows %v, want [uisso-dev-web]", got)
	}
	run(t, ctx, "open the app the group may get",
		chromedp.Navigate(appURL(s, "uisso-dev-web", "")),
		chromedp.WaitVisible(css(`#app-header .app-toolbar`)),
	)
	shown := read(t, ctx, "the toolbar", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#app-header .app-toolbar a, #app-header .app-toolbar button')].map(e => e.textContent.trim())`))
	if slices.Contains(shown, "Sync") || slices.Contains(shown, "Delete") {
		t.Errorf("a user who may only get the app is offered %q", shown)
	}
	// The sync form is there to read, its button disabled; forced, the
	// API refuses it.
	run(t, ctx, "force the sync form",
		chromedp.Navigate(opsPage(s, "uisso-dev-web", "sync")),
		chromedp.WaitVisible(css(`#ops-sync-form button[type=submit][disabled]`)),
		chromedp.RemoveAttribute(css(`#ops-sync-form button[type=submit]`), "disabled"),
	)
	opsSubmit(t, ctx, "submit the forced sync", `#ops-sync-form button[type=submit]`)
	if msg := read(t, ctx, "the refusal", chromedp.Text(css(`.ops-error`))); !strings.Contains(msg, "permission denied") {
		t.Errorf("a sync forced by the SSO user shows %q, want the API's permission denied", msg)
	}
	run(t, ctx, "open an app the group may not get",
		chromedp.Navigate(appURL(s, "uisso-ops-db", "")),
		chromedp.WaitVisible(css(`main h1`)),
	)
	if h := read(t, ctx, "the heading", chromedp.Text(css(`main h1`))); h == "uisso-ops-db" {
		t.Error("the SSO user sees an app their group may not get")
	}

	// Logging out clears the cookie and ends the session at the server.
	run(t, ctx, "log out",
		chromedp.Click(css(`header.top form button`)),
		chromedp.WaitVisible(css(`#sso-login`)),
	)
	if c := cookieNamed(t, ctx, s, "argocd.token"); c != nil {
		t.Errorf("after logout the browser keeps the session cookie %+v", c)
	}
	if apiUser(t, s, token) != "" {
		t.Error("the API still accepts the SSO session after logout")
	}
	run(t, ctx, "open the list after logout",
		chromedp.Navigate(s.URL+"/applications"), chromedp.WaitVisible(css(`#sso-login`)))
	if loc := read(t, ctx, "where", chromedp.Location()); !strings.HasPrefix(loc, s.URL+"/login?") {
		t.Errorf("after logout /applications leads to %s, want the login page", loc)
	}

	// An ID token too long for a cookie would be dropped by the browser
	// and lead back to the login page without a word: it is told.
	many := make([]string, 300)
	for i := range many {
		many[i] = fmt.Sprintf("uisso-team-%03d", i)
	}
	provider.QueueUser(&mockoidc.MockUser{Subject: ssoUser, Groups: many})
	run(t, ctx, "sign in with a token too long for a cookie",
		chromedp.Click(css(`#sso-login`)),
		chromedp.WaitVisible(css(`.login .error`)),
	)
	if msg := read(t, ctx, "the error", chromedp.Text(css(`.login .error`))); !strings.Contains(msg, "more than the 4096 a browser keeps in a cookie") {
		t.Errorf("an ID token too long for a cookie shows %q", msg)
	}
	if st := cookieNamed(t, ctx, s, "argocd.oauthstate"); st != nil {
		t.Errorf("a sign-in refused for its token's size leaves its state cookie: %+v", st)
	}

	// Signing in again from a deeper page comes back to it; User info
	// shows the provider's name and groups, and no password to change.
	provider.QueueUser(&mockoidc.MockUser{Subject: ssoUser, Email: "jane@example.com", Groups: ssoGroups})
	run(t, ctx, "sign in again from User info",
		chromedp.Navigate(s.URL+"/user-info"),
		chromedp.Click(css(`#sso-login`)),
		chromedp.WaitVisible(css(`#user-fields`)),
	)
	if loc := read(t, ctx, "where", chromedp.Location()); loc != s.URL+"/user-info" {
		t.Errorf("signing in from /user-info ends at %s", loc)
	}
	info := read(t, ctx, "the user's fields", chromedp.Evaluate[map[string]string](
		`Object.fromEntries(['username', 'issuer', 'groups'].map(id => [id, document.getElementById(id).textContent.trim()]))`))
	if info["username"] != ssoUser || info["issuer"] != provider.Issuer() {
		t.Errorf("User info shows %q of %q, want %s of %s", info["username"], info["issuer"], ssoUser, provider.Issuer())
	}
	for _, g := range ssoGroups {
		if !strings.Contains(info["groups"], g) {
			t.Errorf("User info's groups %q lack %s", info["groups"], g)
		}
	}
	if n := read(t, ctx, "password forms", chromedp.Evaluate[int](`document.querySelectorAll('#password-form').length`)); n != 0 {
		t.Error("User info offers an SSO user a password to change")
	}
}

// startOIDC runs an OIDC provider on 127.0.0.1 and names it in
// argocd-cm's oidc.config as name, its client secret in argocd-secret,
// with the RBAC policy lines given; all of it is undone when the test
// ends.
func startOIDC(t *testing.T, name string, policy ...string) *mockoidc.MockOIDC {
	t.Helper()
	provider, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = provider.Shutdown() })
	cfg := provider.Config()
	const secretKey = "oidc.uisso.clientSecret"
	editSecret(t, func(d map[string][]byte) { d[secretKey] = []byte(cfg.ClientSecret) })
	lines := strings.Join(policy, "\n") + "\n"
	editSettings(t, "argocd-rbac-cm", func(d map[string]string) { d["policy.csv"] += lines })
	editSettings(t, "argocd-cm", func(d map[string]string) {
		d["oidc.config"] = fmt.Sprintf(`name: %s
issuer: %s
clientID: %s
clientSecret: $%s
requestedScopes: [openid, profile, email, groups]
requestedIDTokenClaims: {groups: {essential: true}}
`, name, cfg.Issuer, cfg.ClientID, secretKey)
	})
	t.Cleanup(func() {
		editSettings(t, "argocd-cm", func(d map[string]string) { delete(d, "oidc.config") })
		editSettings(t, "argocd-rbac-cm", func(d map[string]string) {
			d["policy.csv"] = strings.Replace(d["policy.csv"], lines, "", 1)
		})
		editSecret(t, func(d map[string][]byte) { delete(d, secretKey) })
	})
	return provider
}

// waitSSOButton opens page without a session until the login page it
// leads to shows the SSO button: capstan sees a change of its settings
// through its watch, a moment after it is made.
func waitSSOButton(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		run(t, ctx, "open "+page+" without a session",
			chromedp.Navigate(page), chromedp.WaitVisible(css(`input[name=username]`)))
		if read(t, ctx, "the SSO button", chromedp.Evaluate[bool](`document.querySelector('#sso-login') !== null`)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the login page shows no SSO button a minute after oidc.config was set")
		}
	}
}

// cookieNamed is the browser's cookie name for capstan's pages or its
// SSO callback, nil when there is none.
func cookieNamed(t *testing.T, ctx context.Context, s *server, name string) *network.Cookie {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{s.URL + "/", s.URL + "/auth/callback"}})
	if err != nil {
		t.Fatalf("read the cookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// sessionCookie is the session token the browser keeps, after checking
// that scripts cannot read it and that other sites' requests do not
// carry it.
func sessionCookie(t *testing.T, ctx context.Context, s *server) string {
	t.Helper()
	c := cookieNamed(t, ctx, s, "argocd.token")
	if c == nil {
		t.Fatal("signed in through SSO, the browser has no argocd.token cookie")
	}
	if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/" {
		t.Errorf("the session cookie is HttpOnly=%v SameSite=%q Path=%q, want HttpOnly, Lax, /", c.HTTPOnly, c.SameSite, c.Path)
	}
	// The cookie is the provider's ID token, and ends with it.
	var claims struct{ Exp float64 }
	if parts := strings.Split(c.Value, "."); len(parts) == 3 {
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		_ = json.Unmarshal(payload, &claims)
	}
	// Chromium rebases Expires on the answer's Date header, both in whole
	// seconds, onto its own clock.
	if claims.Exp == 0 || math.Abs(c.Expires-claims.Exp) > 2 {
		t.Errorf("the session cookie expires at %v, want the ID token's expiry %v", c.Expires, claims.Exp)
	}
	if st := cookieNamed(t, ctx, s, "argocd.oauthstate"); st != nil {
		t.Errorf("the sign-in's state cookie outlives it: %+v", st)
	}
	return c.Value
}
