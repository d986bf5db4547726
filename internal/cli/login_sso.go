package cli

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/spf13/cobra"
	"golang.org/x/oauth2"

	"github.com/capstan-cd/capstan/internal/session"
)

// defaultSSOPort is where the CLI waits for the provider's answer, the
// port Argo CD's CLI uses: providers have http://localhost:8085/auth/callback
// registered for it.
const defaultSSOPort = 8085

// ssoWait bounds a sign-in at the provider.
const ssoWait = 5 * time.Minute

// ssoSettings is the part of GET /api/v1/settings a sign-in needs.
type ssoSettings struct {
	OIDCConfig *struct {
		Issuer      string   `json:"issuer"`
		ClientID    string   `json:"clientID"`
		CLIClientID string   `json:"cliClientID"`
		Scopes      []string `json:"scopes"`
	} `json:"oidcConfig"`
	DexConfig *struct{} `json:"dexConfig"`
}

// ssoClient is the provider the CLI signs in at, and as which client.
type ssoClient struct {
	Issuer   string
	ClientID string
	Scopes   []string
}

// ssoClientFrom decides the provider and client from the server's
// settings: the CLI's own client ID (cliClientID) when the server names
// one, else the server's.
func ssoClientFrom(server string, s ssoSettings) (ssoClient, error) {
	o := s.OIDCConfig
	switch {
	case o == nil && s.DexConfig != nil:
		return ssoClient{}, fmt.Errorf("%s signs in through Dex (dex.config), which capstan does not support: configure oidc.config", server)
	case o == nil:
		return ssoClient{}, fmt.Errorf("%s has no single sign-on configured (oidc.config of argocd-cm)", server)
	case o.Issuer == "" || o.ClientID == "" && o.CLIClientID == "":
		return ssoClient{}, fmt.Errorf("%s: oidc.config names no issuer or no client ID", server)
	}
	c := ssoClient{Issuer: o.Issuer, ClientID: o.CLIClientID, Scopes: o.Scopes}
	if c.ClientID == "" {
		c.ClientID = o.ClientID
	}
	if len(c.Scopes) == 0 {
		c.Scopes = session.DefaultOIDCScopes
	}
	return c, nil
}

// callbackCode is the authorization code of the provider's answer to the
// sign-in that sent state, or why there is none.
func callbackCode(q url.Values, state string) (string, error) {
	if e := q.Get("error"); e != "" {
		if d := q.Get("error_description"); d != "" {
			e += ": " + d
		}
		return "", fmt.Errorf("the provider refused the sign-in: %s", e)
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
		return "", errors.New("the provider's answer does not carry the state of this sign-in: refused, it may come from another site")
	}
	if q.Get("code") == "" {
		return "", errors.New("the provider's answer has no authorization code")
	}
	return q.Get("code"), nil
}

// ssoTokens are what a sign-in gives: the ID token, the session, and a
// refresh token when the provider gives one.
type ssoTokens struct {
	IDToken, RefreshToken string
}

// ssoLogin signs in at the server's OIDC provider with the authorization
// code flow, PKCE (S256) and a state: it listens on 127.0.0.1:port for the
// provider's answer, prints the URL to open (and opens it with $BROWSER
// when set), and exchanges the code at the provider itself.
func (c *apiClient) ssoLogin(ctx context.Context, out io.Writer, port int, browser string) (ssoTokens, error) {
	ctx, client, err := c.ssoClient(ctx)
	if err != nil {
		return ssoTokens{}, err
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return ssoTokens{}, fmt.Errorf("listen for the provider's answer (choose another port with --sso-port): %w", err)
	}
	client.conf.RedirectURL = fmt.Sprintf("http://localhost:%d/auth/callback", ln.Addr().(*net.TCPAddr).Port)
	flow := &ssoFlow{
		ssoOAuth: client,
		state:    rand.Text(),
		pkce:     oauth2.GenerateVerifier(),
		done:     make(chan ssoResult, 1),
	}
	srv := &http.Server{Handler: flow, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	go func() { _ = srv.Serve(ln) }()
	// Shutdown, not Close: the page that tells the browser how the sign-in
	// ended is still being sent when the result arrives here.
	defer func() {
		stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(stop)
	}()

	authURL := flow.conf.AuthCodeURL(flow.state, oauth2.S256ChallengeOption(flow.pkce))
	_, _ = fmt.Fprintf(out, "Open this URL in a browser to sign in:\n%s\n", authURL)
	if browser != "" {
		// The browser outlives the command: no context. One that does not
		// start leaves the URL to open by hand.
		if err := exec.Command(browser, authURL).Start(); err != nil { //nolint:noctx // see above
			_, _ = fmt.Fprintf(out, "Could not start $BROWSER (%v): open the URL by hand\n", err)
		}
	}
	wait, cancel := context.WithTimeout(ctx, ssoWait)
	defer cancel()
	select {
	case r := <-flow.done:
		return r.tokens, r.err
	case <-wait.Done():
		return ssoTokens{}, fmt.Errorf("no answer from the provider within %v: %w", ssoWait, wait.Err())
	}
}

// ssoResult ends a sign-in.
type ssoResult struct {
	tokens ssoTokens
	err    error
}

// ssoOAuth is the CLI as a client of the server's provider, and the
// checker of the provider's ID tokens for it.
type ssoOAuth struct {
	conf     *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// ssoClient is the CLI's client of the provider the server's settings
// name, and a context that reaches the provider as the server is reached
// (--insecure holds for both).
func (c *apiClient) ssoClient(ctx context.Context) (context.Context, ssoOAuth, error) {
	var set ssoSettings
	if err := c.do(ctx, http.MethodGet, "/api/v1/settings", nil, nil, &set); err != nil {
		return ctx, ssoOAuth{}, err
	}
	sc, err := ssoClientFrom(c.base.Host, set)
	if err != nil {
		return ctx, ssoOAuth{}, err
	}
	ctx = oidc.ClientContext(ctx, c.http)
	provider, err := oidc.NewProvider(ctx, sc.Issuer)
	if err != nil {
		return ctx, ssoOAuth{}, fmt.Errorf("OIDC provider %s: %w", sc.Issuer, err)
	}
	// The CLI is a public client: no secret, its ID in the request's body.
	endpoint := provider.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInParams
	return ctx, ssoOAuth{
		conf:     &oauth2.Config{ClientID: sc.ClientID, Endpoint: endpoint, Scopes: sc.Scopes},
		verifier: provider.Verifier(&oidc.Config{ClientID: sc.ClientID}),
	}, nil
}

// idToken checks the ID token of a token answer of the provider.
func (o ssoOAuth) idToken(ctx context.Context, tok *oauth2.Token) (ssoTokens, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return ssoTokens{}, errors.New("the provider answered no ID token")
	}
	if _, err := o.verifier.Verify(ctx, raw); err != nil {
		return ssoTokens{}, fmt.Errorf("the provider's ID token: %w", err)
	}
	return ssoTokens{IDToken: raw, RefreshToken: tok.RefreshToken}, nil
}

// ssoFlow answers the provider's redirect to the CLI's callback: the
// first answer ends the sign-in, whatever it says.
type ssoFlow struct {
	ssoOAuth
	state string
	pkce  string
	once  sync.Once
	done  chan ssoResult
}

func (f *ssoFlow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/auth/callback" {
		http.NotFound(w, r)
		return
	}
	answered := false
	f.once.Do(func() {
		answered = true
		tokens, err := f.finish(r)
		// The page first, then the result, which ends the command.
		defer func() { f.done <- ssoResult{tokens, err} }()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = fmt.Fprintf(w, "<p>Sign-in failed: %s</p>\n", html.EscapeString(err.Error()))
		} else {
			_, _ = fmt.Fprintln(w, "<p>Signed in: you may close this window and return to the terminal.</p>")
		}
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
	})
	if !answered {
		http.Error(w, "no sign-in in progress", http.StatusBadRequest)
	}
}

// finish checks the answer, exchanges its code with the PKCE verifier and
// checks the ID token the provider gives for it.
func (f *ssoFlow) finish(r *http.Request) (ssoTokens, error) {
	code, err := callbackCode(r.URL.Query(), f.state)
	if err != nil {
		return ssoTokens{}, err
	}
	tok, err := f.conf.Exchange(r.Context(), code, oauth2.VerifierOption(f.pkce))
	if err != nil {
		return ssoTokens{}, fmt.Errorf("exchange the sign-in code at the provider: %w", err)
	}
	return f.idToken(r.Context(), tok)
}

// loginSSO signs in at the provider, checks that the server takes the ID
// token as a session, and records it (and the refresh token) as the
// context name.
func (o *clientOptions) loginSSO(cmd *cobra.Command, c *apiClient, path string, cfg *localConfig, name string, srv serverEntry, port int) error {
	ctx := cmd.Context()
	tokens, err := c.ssoLogin(ctx, cmd.OutOrStdout(), port, o.getenv("BROWSER"))
	if err != nil {
		return fmt.Errorf("sign in at %s: %w", srv.Server, err)
	}
	signed := *c
	signed.token = tokens.IDToken
	info, err := signed.userInfo(ctx)
	if err != nil {
		return fmt.Errorf("check the session at %s: %w", srv.Server, err)
	}
	if !info.LoggedIn {
		return fmt.Errorf("%s does not take the provider's ID token as a session: check oidc.config (issuer, clientID, cliClientID)", srv.Server)
	}
	cfg.login(name, srv, tokens.IDToken)
	cfg.setSession(name, tokens.IDToken, tokens.RefreshToken)
	if err := writeConfig(path, cfg); err != nil {
		return err
	}
	_, _ = fmt.Fprintf(cmd.OutOrStdout(), "'%s' logged in successfully\nContext '%s' updated\n", info.Username, name)
	return nil
}
