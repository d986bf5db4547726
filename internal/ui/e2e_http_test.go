package ui_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// noRedirects is an HTTP client that shows redirects instead of following
// them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// apiLogin signs in through the API and returns the session token.
func apiLogin(t testing.TB, s *server, user, password string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	resp, err := http.Post(s.URL+"/api/v1/session", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	decode(t, resp, &out)
	if out.Token == "" {
		t.Fatalf("login as %s gave no token", user)
	}
	return out.Token
}

// decode reads a 2xx JSON answer into out.
func decode(t testing.TB, resp *http.Response, out any) {
	t.Helper()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s answered %s", resp.Request.Method, resp.Request.URL, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// apiUser is who the API takes token's bearer for, "" for nobody.
func apiUser(t *testing.T, s *server, token string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/v1/session/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct{ Username string }
	decode(t, resp, &info)
	return info.Username
}
