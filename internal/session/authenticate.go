package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/internal/rbac"
)

// Authenticate checks a token of capstan's, or an ID token of the SSO
// provider of oidc.config, and returns who it speaks for.
// It refuses a token that is badly signed or expired, one of an account
// that is gone, disabled or lacks the capability the token needs, an API
// token that was deleted, a session that was logged out, and any token
// issued before the account's last password change.
func (m *Manager) Authenticate(ctx context.Context, token string) (Identity, error) {
	if issuer(token) != Issuer {
		// An ID token of the SSO provider, or nothing valid.
		id, err := m.verifySSO(ctx, token)
		if err != nil {
			return Identity{}, err
		}
		if err := m.checkSSOSession(ctx, ssoSessionID(token)); err != nil {
			return Identity{}, err
		}
		return id, nil
	}
	id, _, err := m.verify(ctx, token)
	return id, err
}

// verify is Authenticate, returning the token's claims too. What the
// cache may not have seen yet (the signing key of a first start, a new
// account, a token just created by another replica) is looked up again
// at the source before the token is refused; a token whose signature
// does not hold never gets that far.
func (m *Manager) verify(ctx context.Context, token string) (Identity, claims, error) {
	if iss := issuer(token); iss != Issuer {
		return Identity{}, claims{}, fmt.Errorf("token of unknown issuer %q", iss)
	}
	id, c, err := m.verifyWith(ctx, m.opts.Client, token)
	if errors.Is(err, ErrNoToken) || errors.Is(err, ErrNoAccount) || errors.Is(err, errNoKey) {
		id, c, err = m.verifyWith(ctx, m.opts.Reader, token)
	}
	return id, c, err
}

// verifyWith verifies token against the settings read through r.
func (m *Manager) verifyWith(ctx context.Context, r client.Reader, token string) (Identity, claims, error) {
	st, err := m.read(ctx, r)
	if err != nil {
		return Identity{}, claims{}, err
	}
	key, err := st.signingKey()
	if err != nil {
		return Identity{}, claims{}, err
	}
	c, err := parse(key, token, m.now())
	if err != nil {
		return Identity{}, c, err
	}
	if project, role, ok := rbac.ParseProjectSubject(c.Subject); ok {
		id, err := m.verifyProjectToken(ctx, r, c, project, role)
		return id, c, err
	}
	name, apiKey := subjectAccount(c.Subject)
	a, ok, err := st.account(name)
	switch {
	case err != nil:
		return Identity{}, c, err
	case !ok:
		return Identity{}, c, fmt.Errorf("account %s: %w", name, ErrNoAccount)
	case !a.Enabled:
		return Identity{}, c, fmt.Errorf("account %s is disabled", name)
	}
	if err := m.checkToken(st, a, c, apiKey); err != nil {
		return Identity{}, c, err
	}
	id := Identity{Subject: name, Issuer: Issuer}
	if apiKey {
		id.TokenID = c.ID
	}
	if c.ExpiresAt != nil {
		id.ExpiresAt = c.ExpiresAt.Time
	}
	return id, c, nil
}

// checkToken refuses a token a no longer honours, as st or this process
// knows.
func (m *Manager) checkToken(st state, a Account, c claims, apiKey bool) error {
	if mtime := m.passwordMtime(a); !mtime.IsZero() && !c.IssuedAt.After(mtime) {
		return errors.New("account password has changed since the token was issued")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !apiKey {
		if !a.Can(CapabilityLogin) {
			return fmt.Errorf("account %s may not log in", a.Name)
		}
		if _, out := m.loggedOut[c.ID]; out && c.ID != "" || st.loggedOut(c.ID) {
			return errors.New("session logged out")
		}
		return nil
	}
	if !a.Can(CapabilityAPIKey) {
		return fmt.Errorf("account %s has no apiKey capability", a.Name)
	}
	if c.ID == "" || !a.HasToken(c.ID) || m.deletedIDs[a.Name+"/"+c.ID] {
		return fmt.Errorf("account %s: token %s: %w", a.Name, c.ID, ErrNoToken)
	}
	return nil
}

// Logout refuses session token from now on, on every replica: its id is
// kept in RevokedSecret until the session would have ended anyway, and in
// this process at once, before the caches of the others see it. A session
// is a login of a local account or an ID token of the SSO provider. A
// token that is no valid session has nothing to log out: an API token is
// deleted instead, and one that is refused already stays refused.
func (m *Manager) Logout(ctx context.Context, token string) error {
	now := m.now()
	sid, end, ok := m.session(ctx, token, now)
	if !ok {
		return nil
	}
	end = end.Add(time.Second) // the leeway parse allows
	m.mu.Lock()
	for jti, exp := range m.loggedOut {
		if now.After(exp) {
			delete(m.loggedOut, jti)
		}
	}
	m.loggedOut[sid] = end
	m.mu.Unlock()
	key := client.ObjectKey{Namespace: m.opts.Namespace, Name: RevokedSecret}
	return updateNamedSecret(ctx, m.opts.Client, m.opts.Reader, key, "capstan", func(data map[string][]byte) (bool, error) {
		return revoke(data, sid, end, now)
	})
}

// session is the id of the session token is, and when it ends, when it
// is a live session: the jti of a login of capstan's, the hash of an ID
// token of the SSO provider.
func (m *Manager) session(ctx context.Context, token string, now time.Time) (string, time.Time, bool) {
	end := now.Add(DefaultSessionDuration)
	if issuer(token) != Issuer {
		id, err := m.Authenticate(ctx, token)
		if err != nil {
			return "", end, false
		}
		if !id.ExpiresAt.IsZero() {
			end = id.ExpiresAt
		}
		return ssoSessionID(token), end, true
	}
	id, c, err := m.verify(ctx, token)
	if err != nil || c.ID == "" || id.TokenID != "" {
		return "", end, false
	}
	if c.ExpiresAt != nil {
		end = c.ExpiresAt.Time
	}
	return c.ID, end, true
}
