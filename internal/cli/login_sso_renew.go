package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// expired reports whether the exp claim of a JWT has passed at now. A
// token that is no JWT, or has no exp, is left to the server to judge.
func expired(token string, now time.Time) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	var claims struct {
		Exp float64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == 0 {
		return false
	}
	return !now.Before(time.Unix(int64(claims.Exp), 0))
}

// renewSSO replaces the expired SSO session of the context e came from
// with a new ID token of the provider, got with the refresh token that
// login --sso recorded, and records it. Any other endpoint is returned as
// it is.
func (o *clientOptions) renewSSO(ctx context.Context, path string, cfg *localConfig, e endpoint, now time.Time) (endpoint, error) {
	ref, _, user, err := cfg.context(o.context)
	if err != nil || user.RefreshToken == "" || user.AuthToken != e.token || !expired(e.token, now) {
		return e, nil
	}
	tokens, err := o.refreshSSO(ctx, e, user.RefreshToken)
	if err != nil {
		return e, fmt.Errorf("the SSO session of context %s expired and could not be renewed (log in again with `capstan login --sso`): %w", ref.Name, err)
	}
	if tokens.RefreshToken == "" {
		tokens.RefreshToken = user.RefreshToken
	}
	cfg.setSession(ref.User, tokens.IDToken, tokens.RefreshToken)
	if err := writeConfig(path, cfg); err != nil {
		return e, err
	}
	e.token = tokens.IDToken
	return e, nil
}

// refreshSSO asks the server's provider for new tokens with a refresh
// token.
func (o *clientOptions) refreshSSO(ctx context.Context, e endpoint, refresh string) (ssoTokens, error) {
	e.token = ""
	c, err := o.clientFor(e)
	if err != nil {
		return ssoTokens{}, err
	}
	ctx, client, err := c.ssoClient(ctx)
	if err != nil {
		return ssoTokens{}, err
	}
	tok, err := client.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: refresh}).Token()
	if err != nil {
		return ssoTokens{}, fmt.Errorf("refresh at the provider: %w", err)
	}
	return client.idToken(ctx, tok)
}
