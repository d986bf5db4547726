package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestLoginAndLogout signs in as admin in a real browser, sees the name in
// the header, and signs out; a wrong password is told so.
func TestLoginAndLogout(t *testing.T) {
	s := startCapstan(t)
	ctx := browser(t)

	// A page asked for without a session leads to the login page, which
	// remembers where to go back to.
	run(t, ctx, "open a page without a session",
		chromedp.Navigate(s.URL+"/no-such-page"),
		chromedp.WaitVisible(css(`input[name=username]`)),
	)
	if loc := read(t, ctx, "where", chromedp.Location()); !strings.Contains(loc, "/login?return_url=%2Fno-such-page") {
		t.Errorf("without a session the browser is at %s, want the login page returning to /no-such-page", loc)
	}
	screenshot(t, ctx, "login")

	run(t, ctx, "log in with a wrong password",
		chromedp.SendKeys(css(`input[name=username]`), "admin"),
		chromedp.SendKeys(css(`input[name=password]`), "wrong"),
		chromedp.Submit(css(`input[name=password]`)),
		chromedp.WaitVisible(css(`.login .error`)),
	)
	if msg := read(t, ctx, "the error", chromedp.Text(css(`.login .error`))); !strings.Contains(msg, "Invalid username or password") {
		t.Errorf("a wrong password shows %q", msg)
	}

	run(t, ctx, "log in as admin",
		chromedp.SendKeys(css(`input[name=password]`), s.Password),
		chromedp.Submit(css(`input[name=password]`)),
		chromedp.WaitVisible(css(`header.top .user`)),
	)
	if user := read(t, ctx, "the user", chromedp.Text(css(`header.top .user`))); user != "admin" {
		t.Errorf("the header names %q, want admin", user)
	}
	loc := read(t, ctx, "where", chromedp.Location())
	heading := read(t, ctx, "the heading", chromedp.Text(css(`main h1`)))
	if !strings.HasSuffix(loc, "/no-such-page") || heading != "404" {
		t.Errorf("after login the browser is at %s showing %q, want /no-such-page showing 404", loc, heading)
	}

	run(t, ctx, "log out",
		chromedp.Click(css(`header.top form button`)),
		chromedp.WaitVisible(css(`input[name=username]`)),
		chromedp.Navigate(s.URL+"/no-such-page"),
		chromedp.WaitVisible(css(`input[name=username]`)),
	)
	if loc := read(t, ctx, "where", chromedp.Location()); !strings.Contains(loc, "/login") {
		t.Errorf("after logout a page leads to %s, want the login page", loc)
	}
}

// TestFormsNeedTheSessionToken refuses a form posted without the token of
// the session's pages, as a page on another site would post it.
func TestFormsNeedTheSessionToken(t *testing.T) {
	s := startCapstan(t)
	token := apiLogin(t, s, "admin", s.Password)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/logout", strings.NewReader(url.Values{"csrf": {"forged"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "argocd.token", Value: token})
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a forged logout form answered %d, want 403", resp.StatusCode)
	}
	// The session still works: the forged form did nothing.
	req, _ = http.NewRequest(http.MethodGet, s.URL+"/api/v1/session/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct{ LoggedIn bool }
	decode(t, resp, &info)
	if !info.LoggedIn {
		t.Error("the session ended after a forged logout form")
	}
	if got := resp.Header.Get("Content-Security-Policy"); got != "" {
		t.Errorf("an API answer carries the pages' Content-Security-Policy %q", got)
	}
}

// TestReadOnlyUserSignsIn signs a second, read-only account in; the
// header names it.
func TestReadOnlyUserSignsIn(t *testing.T) {
	s := startCapstan(t)
	addUser(t, "viewer", "viewer-pass-1", "g, NAME, role:readonly")
	ctx := browser(t)
	login(t, ctx, s, "viewer", "viewer-pass-1")
	if user := read(t, ctx, "the user", chromedp.Text(css(`header.top .user`))); user != "viewer" {
		t.Errorf("the header names %q, want viewer", user)
	}
}
