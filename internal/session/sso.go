package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"sigs.k8s.io/yaml"
)

// KeyOIDCConfig is the argocd-cm key of single sign-on through an OIDC
// provider.
const KeyOIDCConfig = "oidc.config"

// DefaultOIDCScopes are asked for when oidc.config names none, as in
// Argo CD.
var DefaultOIDCScopes = []string{oidc.ScopeOpenID, "profile", "email", "groups"}

// OIDCConfig is oidc.config of argocd-cm, its secret references resolved.
type OIDCConfig struct {
	Name            string   `json:"name"`
	Issuer          string   `json:"issuer"`
	ClientID        string   `json:"clientID"`
	ClientSecret    string   `json:"clientSecret"`
	RequestedScopes []string `json:"requestedScopes"`
	// RequestedIDTokenClaims is accepted; the groups of a user are read
	// from the "groups" claim of the ID token whatever it asks for.
	RequestedIDTokenClaims map[string]json.RawMessage `json:"requestedIDTokenClaims"`
	// CLIClientID is the client `capstan login --sso` signs in as; its ID
	// tokens are accepted beside the clientID's.
	CLIClientID string `json:"cliClientID"`
}

// ParseOIDCConfig reads oidc.config of argocd-cm (nil when unset). A
// value "$<key>" is the value of key in argocd-secret.
func ParseOIDCConfig(cm map[string]string, secret map[string][]byte) (*OIDCConfig, error) {
	raw := strings.TrimSpace(cm[KeyOIDCConfig])
	if raw == "" {
		return nil, nil
	}
	var c OIDCConfig
	if err := yaml.Unmarshal([]byte(raw), &c); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", ConfigMap, KeyOIDCConfig, err)
	}
	for _, field := range []*string{&c.Issuer, &c.ClientID, &c.ClientSecret} {
		ref, ok := strings.CutPrefix(*field, "$")
		if !ok {
			continue
		}
		if strings.Contains(ref, ":") {
			return nil, fmt.Errorf("%s: %s: %q: only keys of %s can be referred to", ConfigMap, KeyOIDCConfig, *field, Secret)
		}
		v, found := secret[ref]
		if !found {
			return nil, fmt.Errorf("%s: %s: %q: %s has no key %s", ConfigMap, KeyOIDCConfig, *field, Secret, ref)
		}
		*field = string(v)
	}
	if c.Issuer == "" || c.ClientID == "" {
		return nil, fmt.Errorf("%s: %s: issuer and clientID are required", ConfigMap, KeyOIDCConfig)
	}
	if len(c.RequestedScopes) == 0 {
		c.RequestedScopes = DefaultOIDCScopes
	}
	return &c, nil
}

// ErrNoSSO is single sign-on asked for when oidc.config is not set.
var ErrNoSSO = errors.New("single sign-on is not configured (" + KeyOIDCConfig + ")")

// providers are the OIDC providers met so far, by issuer: discovery and
// keys are fetched once, not per request.
type providers struct {
	mu    sync.Mutex
	byURL map[string]*oidc.Provider
}

func (p *providers) get(ctx context.Context, issuer string) (*oidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr, ok := p.byURL[issuer]; ok {
		return pr, nil
	}
	// The provider keeps its context for later fetches of keys.
	pr, err := oidc.NewProvider(context.WithoutCancel(ctx), issuer)
	if err != nil {
		return nil, fmt.Errorf("OIDC provider %s: %w", issuer, err)
	}
	if p.byURL == nil {
		p.byURL = map[string]*oidc.Provider{}
	}
	p.byURL[issuer] = pr
	return pr, nil
}

// SSO is the OAuth2 configuration of single sign-on, answering on
// redirectURL; ErrNoSSO when oidc.config is not set.
func (m *Manager) SSO(ctx context.Context, redirectURL string) (*oauth2.Config, error) {
	cfg, pr, err := m.oidc(ctx)
	if err != nil {
		return nil, err
	}
	return &oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: pr.Endpoint(),
		RedirectURL: redirectURL, Scopes: cfg.RequestedScopes}, nil
}

// oidc is the OIDC configuration and its provider.
func (m *Manager) oidc(ctx context.Context) (*OIDCConfig, *oidc.Provider, error) {
	st, err := m.read(ctx, m.opts.Client)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := ParseOIDCConfig(st.cm, st.secret)
	if err != nil {
		return nil, nil, err
	}
	if cfg == nil {
		return nil, nil, ErrNoSSO
	}
	pr, err := m.providers.get(ctx, cfg.Issuer)
	return cfg, pr, err
}

// Exchange trades the code of a finished sign-in, with the PKCE verifier
// it began with, for the provider's ID token, and checks it.
func (m *Manager) Exchange(ctx context.Context, conf *oauth2.Config, code, verifier string) (string, Identity, error) {
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return "", Identity{}, fmt.Errorf("exchange the sign-in code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return "", Identity{}, errors.New("the provider answered no ID token")
	}
	id, err := m.verifySSO(ctx, raw)
	return raw, id, err
}

// verifySSO checks an ID token of the configured provider: its signature,
// audience (the clientID, or the CLI's cliClientID) and expiry.
func (m *Manager) verifySSO(ctx context.Context, token string) (Identity, error) {
	cfg, pr, err := m.oidc(ctx)
	if err != nil {
		return Identity{}, err
	}
	if iss := issuer(token); iss != cfg.Issuer {
		return Identity{}, fmt.Errorf("token of unknown issuer %q", iss)
	}
	idt, err := pr.Verifier(&oidc.Config{SkipClientIDCheck: true, Now: m.now}).Verify(ctx, token)
	if err != nil {
		return Identity{}, fmt.Errorf("verify the ID token: %w", err)
	}
	if !slices.ContainsFunc(idt.Audience, cfg.audience) {
		return Identity{}, fmt.Errorf("verify the ID token: audience %q is neither clientID nor cliClientID", idt.Audience)
	}
	var claims struct {
		Groups json.RawMessage `json:"groups"`
	}
	var all map[string]any
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("read the ID token's claims: %w", err)
	}
	if err := idt.Claims(&all); err != nil {
		return Identity{}, fmt.Errorf("read the ID token's claims: %w", err)
	}
	return Identity{Subject: idt.Subject, Groups: groupsOf(claims.Groups), Issuer: idt.Issuer, ExpiresAt: idt.Expiry, Claims: all}, nil
}

// audience reports whether aud is a client of capstan's.
func (c *OIDCConfig) audience(aud string) bool {
	return aud != "" && (aud == c.ClientID || aud == c.CLIClientID)
}

// groupsOf reads a groups claim: a list of names, or one name.
func groupsOf(raw json.RawMessage) []string {
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var one string
	if json.Unmarshal(raw, &one) == nil && one != "" {
		return []string{one}
	}
	return nil
}
