package cli

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/oauth2-proxy/mockoidc"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/internal/settings"
)

func TestSSOClientFrom(t *testing.T) {
	type oidcConfig = struct {
		Issuer      string   `json:"issuer"`
		ClientID    string   `json:"clientID"`
		CLIClientID string   `json:"cliClientID"`
		Scopes      []string `json:"scopes"`
	}
	tests := []struct {
		name    string
		input   ssoSettings
		want    ssoClient
		wantErr string
	}{
		{
			name:  "the server's client and scopes",
			input: ssoSettings{OIDCConfig: &oidcConfig{Issuer: "https://idp", ClientID: "web", Scopes: []string{"openid", "groups"}}},
			want:  ssoClient{Issuer: "https://idp", ClientID: "web", Scopes: []string{"openid", "groups"}},
		},
		{
			name:  "the CLI's own client, default scopes",
			input: ssoSettings{OIDCConfig: &oidcConfig{Issuer: "https://idp", ClientID: "web", CLIClientID: "cli"}},
			want:  ssoClient{Issuer: "https://idp", ClientID: "cli", Scopes: []string{"openid", "profile", "email", "groups"}},
		},
		{name: "no SSO", input: ssoSettings{}, wantErr: "cd.example has no single sign-on configured"},
		{name: "Dex", input: ssoSettings{DexConfig: &struct{}{}}, wantErr: "Dex (dex.config), which capstan does not support"},
		{name: "no issuer", input: ssoSettings{OIDCConfig: &oidcConfig{ClientID: "web"}}, wantErr: "names no issuer or no client ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ssoClientFrom("cd.example", tt.input)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestExpired(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	jwt := func(payload string) string {
		return "e30." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".sig"
	}
	tests := []struct {
		name  string
		input string
		want  bool
	}{
		{name: "expired", input: jwt(`{"exp": 999999}`), want: true},
		{name: "expires now", input: jwt(`{"exp": 1000000}`), want: true},
		{name: "valid", input: jwt(`{"exp": 1000001}`), want: false},
		{name: "no exp", input: jwt(`{"sub": "jane"}`), want: false},
		{name: "not a JWT", input: "opaque", want: false},
		{name: "bad payload", input: "a.!!.c", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := expired(tt.input, now); got != tt.want {
				t.Errorf("expired = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCallbackCode(t *testing.T) {
	tests := []struct {
		name    string
		input   url.Values
		want    string
		wantErr string
	}{
		{name: "the code", input: url.Values{"state": {"s1"}, "code": {"c1"}}, want: "c1"},
		{name: "another state", input: url.Values{"state": {"s2"}, "code": {"c1"}}, wantErr: "does not carry the state of this sign-in"},
		{name: "no state", input: url.Values{"code": {"c1"}}, wantErr: "does not carry the state of this sign-in"},
		{name: "no code", input: url.Values{"state": {"s1"}}, wantErr: "has no authorization code"},
		{
			name:    "the provider's error",
			input:   url.Values{"state": {"s1"}, "error": {"access_denied"}, "error_description": {"the user said no"}},
			wantErr: "the provider refused the sign-in: access_denied: the user said no",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := callbackCode(tt.input, "s1")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("callbackCode = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestLoginSSO signs in through the CLI at a real OIDC provider
// (mockoidc), as the CLI's own client (cliClientID), against a real
// server: the test is the browser, following the printed URL to the
// provider and back to the CLI. An expired session is then renewed with
// the refresh token.
func TestLoginSSO(t *testing.T) {
	s := newCLIServer(t, false)
	provider := startProvider(t)
	// The server's own client is another one: the server must take the
	// CLI's tokens for its cliClientID.
	s.configureSSO(t, provider, "capstan-web", provider.ClientID)
	provider.QueueUser(&mockoidc.MockUser{Subject: "jane", Email: "jane@example.com", Groups: []string{"team-a"}})

	login := s.startSSOLogin(t)
	authorize, err := url.Parse(login.url)
	if err != nil {
		t.Fatal(err)
	}
	q := authorize.Query()
	if q.Get("client_id") != provider.ClientID || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" {
		t.Errorf("the sign-in URL asks for no PKCE challenge, no state or another client: %s", authorize)
	}
	if !strings.HasPrefix(q.Get("redirect_uri"), "http://localhost:") {
		t.Errorf("redirect_uri %q, want the CLI's port of localhost", q.Get("redirect_uri"))
	}
	resp, err := http.Get(login.url) // the browser, up to the CLI's page
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	out, err := login.wait()
	if err != nil {
		t.Fatalf("login --sso: %v\n%s", err, out)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the CLI's page after the sign-in: %d", resp.StatusCode)
	}
	if !strings.Contains(out, "'jane' logged in successfully") {
		t.Errorf("login --sso printed:\n%s", out)
	}
	cfg := readFile(t, s.config)
	if !strings.Contains(cfg, "auth-token: ey") || !strings.Contains(cfg, "refresh-token: ") || !strings.Contains(cfg, "current-context: "+s.address) {
		t.Errorf("configuration file after login --sso:\n%s", cfg)
	}
	out = s.must(t, "account", "get-user-info")
	for _, want := range []string{"Logged In:          true", "Username:           jane", "Issuer:             " + provider.Issuer(), "Groups:             team-a"} {
		if !strings.Contains(out, want) {
			t.Errorf("get-user-info lacks %q:\n%s", want, out)
		}
	}

	// An expired session is renewed with the refresh token, and recorded.
	expiredConf := provider.Config()
	expiredConf.AccessTTL = -time.Minute
	janeSession, err := provider.SessionStore.NewSession("openid email groups", "", &mockoidc.MockUser{Subject: "jane", Groups: []string{"team-a"}}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	stale, err := janeSession.IDToken(expiredConf, provider.Keypair, provider.Now())
	if err != nil {
		t.Fatal(err)
	}
	local, err := readConfig(s.config)
	if err != nil {
		t.Fatal(err)
	}
	local.Users[0].AuthToken = stale
	if err := writeConfig(s.config, local); err != nil {
		t.Fatal(err)
	}
	if out := s.must(t, "account", "get-user-info"); !strings.Contains(out, "Logged In:          true") || !strings.Contains(out, "Username:           jane") {
		t.Errorf("get-user-info with an expired session:\n%s", out)
	}
	if local, err = readConfig(s.config); err != nil || local.Users[0].AuthToken == stale || expired(local.Users[0].AuthToken, time.Now()) {
		t.Errorf("the renewed session was not recorded: %v", err)
	}

	// An ID token of the same provider for another application is no
	// session of capstan's.
	other := provider.Config()
	other.ClientID = "another-app"
	sess, err := provider.SessionStore.NewSession("openid email groups", "", mockoidc.DefaultUser(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	token, err := sess.IDToken(other, provider.Keypair, provider.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "", "app", "list", "--server", s.address, "--insecure", "--auth-token", token); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("an ID token for another audience: %v, want 401", err)
	}
}

// TestLoginSSOFailures: an answer with another state, the provider's
// refusal and a failed exchange each end the login with a message saying
// so, and write no session. A $BROWSER that does not start fails nothing.
func TestLoginSSOFailures(t *testing.T) {
	s := newCLIServer(t, false)
	provider := startProvider(t)
	s.configureSSO(t, provider, provider.ClientID, "")
	// A $BROWSER that does not start leaves the URL to open by hand.
	t.Setenv("BROWSER", filepath.Join(t.TempDir(), "no-browser"))
	noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// callback signs in at the provider and returns where it sends the
	// browser back to.
	callback := func(t *testing.T, authorize string) *url.URL {
		t.Helper()
		resp, err := noRedirects.Get(authorize)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		u, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || resp.StatusCode != http.StatusFound {
			t.Fatalf("the provider answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		return u
	}
	tests := []struct {
		name string
		// query rewrites the provider's answer, when not nil.
		query func(url.Values) url.Values
		// failExchange has the provider refuse the code.
		failExchange bool
		wantErr      string
	}{
		{
			name:    "another state",
			query:   func(q url.Values) url.Values { q.Set("state", "forged"); return q },
			wantErr: "does not carry the state of this sign-in",
		},
		{
			name: "refused by the provider",
			query: func(q url.Values) url.Values {
				return url.Values{"state": {q.Get("state")}, "error": {"access_denied"}, "error_description": {"the user said no"}}
			},
			wantErr: "the provider refused the sign-in: access_denied: the user said no",
		},
		{name: "the exchange fails", failExchange: true, wantErr: "exchange the sign-in code at the provider"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			login := s.startSSOLogin(t)
			answer := callback(t, login.url)
			if tt.query != nil {
				answer.RawQuery = tt.query(answer.Query()).Encode()
			}
			if tt.failExchange {
				provider.QueueError(&mockoidc.ServerError{Code: http.StatusBadRequest, Error: "invalid_grant", Description: "code expired"})
			}
			resp, err := http.Get(answer.String())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			out, err := login.wait()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("login --sso: error %v, want one saying %q\n%s", err, tt.wantErr, out)
			}
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("the CLI's page: %d, want 400", resp.StatusCode)
			}
			if strings.Contains(out, "logged in") || !strings.Contains(out, "Could not start $BROWSER") {
				t.Errorf("a failed sign-in logged in, or did not say $BROWSER failed:\n%s", out)
			}
		})
	}
	if cfg, err := readConfig(s.config); err != nil || len(cfg.Users) != 0 {
		t.Errorf("failed sign-ins recorded sessions: %+v, %v", cfg, err)
	}
}

// startProvider runs mockoidc. The CLI is a public client, with PKCE and
// no secret, as Dex's argo-cd-cli or a native application of Okta or
// Keycloak are; mockoidc only knows confidential clients, so its token
// endpoint is given the secret when the request proves PKCE instead, or
// refreshes.
func startProvider(t *testing.T) *mockoidc.MockOIDC {
	t.Helper()
	provider, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	err = provider.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == mockoidc.TokenEndpoint && r.ParseForm() == nil && r.Form.Get("client_secret") == "" &&
				(r.Form.Get("code_verifier") != "" || r.Form.Get("grant_type") == "refresh_token") {
				r.Form.Set("client_secret", provider.ClientSecret)
			}
			next.ServeHTTP(w, r)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := provider.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = provider.Shutdown() })
	return provider
}

// configureSSO points the server's oidc.config at the provider, and waits
// until the server answers it in its settings.
func (s *cliServer) configureSSO(t *testing.T, provider *mockoidc.MockOIDC, clientID, cliClientID string) {
	t.Helper()
	var cm corev1.ConfigMap
	if err := s.direct.Get(t.Context(), client.ObjectKey{Namespace: s.namespace, Name: settings.ConfigMap}, &cm); err != nil {
		t.Fatal(err)
	}
	cm.Data["oidc.config"] = fmt.Sprintf("name: Mock\nissuer: %s\nclientID: %s\ncliClientID: %q\nrequestedScopes: [openid, email, groups]\n",
		provider.Issuer(), clientID, cliClientID)
	if err := s.direct.Update(t.Context(), &cm); err != nil {
		t.Fatal(err)
	}
	c, err := newClientOptions().clientFor(endpoint{server: s.address, insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool {
		var set ssoSettings
		return c.do(t.Context(), http.MethodGet, "/api/v1/settings", nil, nil, &set) == nil && set.OIDCConfig != nil && set.OIDCConfig.ClientID == clientID
	})
}

// ssoLogin is a `capstan login --sso` running.
type ssoLogin struct {
	url  string
	out  *syncBuffer
	done chan error
}

// startSSOLogin starts `capstan login --sso` on a free port and returns
// once it printed the URL to open.
func (s *cliServer) startSSOLogin(t *testing.T) *ssoLogin {
	t.Helper()
	l := &ssoLogin{out: &syncBuffer{}, done: make(chan error, 1)}
	cmd := NewRootCommand()
	cmd.SetOut(l.out)
	cmd.SetErr(l.out)
	cmd.SetArgs([]string{"login", s.address, "--insecure", "--sso", "--sso-port", "0", "--config", s.config})
	go func() { l.done <- cmd.ExecuteContext(t.Context()) }()
	printed := regexp.MustCompile(`(?m)^(http://\S+/authorize\?\S+)$`)
	eventually(t, func() bool {
		m := printed.FindStringSubmatch(l.out.String())
		if m != nil {
			l.url = m[1]
		}
		return m != nil
	})
	if l.url == "" {
		t.Fatalf("login --sso printed no URL to open:\n%s", l.out.String())
	}
	return l
}

// wait returns what the login printed once it ended, and its error.
func (l *ssoLogin) wait() (string, error) {
	err := <-l.done
	return l.out.String(), err
}

// syncBuffer is a bytes.Buffer written by a command while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
