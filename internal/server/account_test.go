package server

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestAccountList(t *testing.T) {
	ts := newTestServer(t, withAccount("alice", "login", "password-alice"), withAccount("ci", "apiKey", ""))
	var list struct {
		Items []account `json:"items"`
	}
	ts.decode(t, ts.do(t, ts.loginAdmin(t), http.MethodGet, "/api/v1/account", nil), http.StatusOK, &list)
	want := []account{
		{Name: "admin", Enabled: true, Capabilities: []string{"login"}},
		{Name: "alice", Enabled: true, Capabilities: []string{"login"}},
		{Name: "ci", Enabled: true, Capabilities: []string{"apiKey"}},
	}
	if diff := cmp.Diff(want, list.Items); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
	// alice sees herself only, and not the admin.
	alice := ts.login(t, "alice", "password-alice")
	ts.decode(t, ts.do(t, alice, http.MethodGet, "/api/v1/account", nil), http.StatusOK, &list)
	if diff := cmp.Diff(want[1:2], list.Items); diff != "" {
		t.Errorf("alice's accounts (-want +got):\n%s", diff)
	}
	ts.decode(t, ts.do(t, alice, http.MethodGet, "/api/v1/account/admin", nil), http.StatusForbidden, nil)
	ts.decode(t, ts.do(t, "", http.MethodGet, "/api/v1/account", nil), http.StatusUnauthorized, nil)
}

func TestAccountCanI(t *testing.T) {
	ts := newTestServer(t, withAccount("alice", "login", "password-alice"), withAccount("bob", "login", "password-bob"),
		withConfigMap("argocd-rbac-cm", map[string]string{"policy.csv": "p, bob, applications, get, default/guestbook, allow\ng, alice, role:readonly"}))
	tokens := map[string]string{"admin": ts.loginAdmin(t), "alice": ts.login(t, "alice", "password-alice"), "bob": ts.login(t, "bob", "password-bob")}
	type question struct{ who, path string }
	want := map[question]string{
		{"admin", "applications/get/default/guestbook"}: "yes",
		{"admin", "applications/sync/*"}:                "no", // as Argo CD: "*" has no project to match "*/*"
		{"admin", "applications/sync/default%2F*"}:      "yes",
		{"admin", "applications/sync/*%2F*"}:            "yes",
		{"admin", "clusters/create/*"}:                  "yes",
		{"alice", "applications/get/*"}:                 "no",
		{"alice", "applications/get/default%2F*"}:       "yes",
		{"alice", "applications/sync/default%2F*"}:      "no",
		{"alice", "clusters/get/*"}:                     "yes",
		{"bob", "applications/get/default/guestbook"}:   "yes",
		{"bob", "applications/get/default/guestbook2"}:  "no",
		// The control-plane namespace in the object is the same Application.
		{"bob", "applications/get/default/" + ts.Namespace + "/guestbook"}: "yes",
		{"bob", "applications/get/default/elsewhere/guestbook"}:            "no",
		// Unknown names are refused, not answered no.
		{"admin", "application/get/*"}:     "400",
		{"admin", "applications/deploy/*"}: "400",
	}
	got := map[question]string{}
	for q := range want {
		var out struct{ Value string }
		resp := ts.do(t, tokens[q.who], http.MethodGet, "/api/v1/account/can-i/"+q.path, nil)
		if resp.StatusCode == http.StatusBadRequest {
			got[q] = "400"
			resp.Body.Close()
			continue
		}
		ts.decode(t, resp, http.StatusOK, &out)
		got[q] = out.Value
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("can-i answers (-want +got):\n%s", diff)
	}
}

func TestAccountPassword(t *testing.T) {
	ts := newTestServer(t, withAccount("alice", "login", "password-alice"))
	alice := ts.login(t, "alice", "password-alice")
	change := func(token string, req passwordRequest, status int) {
		t.Helper()
		ts.decode(t, ts.do(t, token, http.MethodPut, "/api/v1/account/password", req), status, nil)
	}
	change(alice, passwordRequest{CurrentPassword: "wrong", NewPassword: "password-two"}, http.StatusBadRequest)
	change(alice, passwordRequest{CurrentPassword: "password-alice", NewPassword: "short"}, http.StatusBadRequest)
	change(alice, passwordRequest{CurrentPassword: "password-alice", NewPassword: "new-password", Name: "admin"}, http.StatusForbidden)
	change(alice, passwordRequest{CurrentPassword: "password-alice", NewPassword: "password-two"}, http.StatusOK)
	// The session of before the change is over; the new password logs in.
	ts.decode(t, ts.do(t, alice, http.MethodGet, "/api/v1/account/alice", nil), http.StatusUnauthorized, nil)
	alice = ts.login(t, "alice", "password-two")
	// The admin resets alice's password with the admin's own.
	change(ts.loginAdmin(t), passwordRequest{CurrentPassword: ts.AdminPassword, NewPassword: "password-three", Name: "alice"}, http.StatusOK)
	ts.decode(t, ts.do(t, alice, http.MethodGet, "/api/v1/account/alice", nil), http.StatusUnauthorized, nil)
	ts.login(t, "alice", "password-three")
}

func TestAccountTokens(t *testing.T) {
	ts := newTestServer(t, withAccount("ci", "apiKey", ""), withAccount("alice", "apiKey,login", "password-alice"))
	admin := ts.loginAdmin(t)
	var out tokenResponse
	ts.decode(t, ts.do(t, admin, http.MethodPost, "/api/v1/account/ci/token", `{"id":"deploy","expiresIn":"3600"}`), http.StatusOK, &out)
	// The token works at once, even before the cache has seen it.
	var got account
	ts.decode(t, ts.do(t, out.Token, http.MethodGet, "/api/v1/account/ci", nil), http.StatusOK, &got)
	want := account{Name: "ci", Enabled: true, Capabilities: []string{"apiKey"}, Tokens: []accountToken{{ID: "deploy"}}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(accountToken{}, "IssuedAt", "ExpiresAt")); diff != "" {
		t.Errorf("account (-want +got):\n%s", diff)
	}
	if tok := got.Tokens[0]; tok.ExpiresAt-tok.IssuedAt != 3600 {
		t.Errorf("token lasts %d s, want 3600", tok.ExpiresAt-tok.IssuedAt)
	}
	ts.decode(t, ts.do(t, admin, http.MethodPost, "/api/v1/account/ci/token", map[string]any{"id": "deploy"}), http.StatusBadRequest, nil)
	ts.decode(t, ts.do(t, admin, http.MethodPost, "/api/v1/account/admin/token", map[string]any{}), http.StatusBadRequest, nil)
	// alice makes her own token, but not ci's.
	aliceSession := ts.login(t, "alice", "password-alice")
	ts.decode(t, ts.do(t, aliceSession, http.MethodPost, "/api/v1/account/alice/token", map[string]any{"expiresIn": 60}), http.StatusOK, nil)
	ts.decode(t, ts.do(t, aliceSession, http.MethodPost, "/api/v1/account/ci/token", map[string]any{}), http.StatusForbidden, nil)
	ts.decode(t, ts.do(t, aliceSession, http.MethodDelete, "/api/v1/account/ci/token/deploy", nil), http.StatusForbidden, nil)

	ts.decode(t, ts.do(t, admin, http.MethodDelete, "/api/v1/account/ci/token/deploy", nil), http.StatusOK, nil)
	ts.decode(t, ts.do(t, out.Token, http.MethodGet, "/api/v1/account/ci", nil), http.StatusUnauthorized, nil)
	ts.decode(t, ts.do(t, admin, http.MethodDelete, "/api/v1/account/ci/token/deploy", nil), http.StatusNotFound, nil)
}
