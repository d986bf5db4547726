package session

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// dummyHash is compared against when a login names no usable account, so
// that an unknown name takes as long to refuse as a wrong password. It is
// a constant, a bcrypt hash at bcrypt.DefaultCost made once: hashing it at
// package init cost every start of the binary, client commands included,
// one bcrypt round (0.1 s idle, half a second on a loaded machine).
var dummyHash = []byte("$2a$10$CW.0HS6R20nVGTX1xGDvUOe8I0bQ0TR86F7jf99dF1uazC059ybni")

// Login checks a local account's password and returns a session token
// for it, valid for users.session.duration (DefaultSessionDuration when
// unset). A name locked by repeated failures is refused with ErrLocked
// whatever the password; a wrong name or password is ErrInvalidCredentials.
func (m *Manager) Login(ctx context.Context, username, password string) (string, Identity, error) {
	now := m.now()
	if m.failures.locked(username, now) {
		return "", Identity{}, ErrLocked
	}
	st, err := m.read(ctx, m.opts.Reader)
	if err != nil {
		return "", Identity{}, err
	}
	a, err := m.checkPassword(st, username, password, now)
	if err != nil {
		return "", Identity{}, err
	}
	duration, err := sessionDuration(st.cm)
	if err != nil {
		return "", Identity{}, err
	}
	key, err := st.signingKey()
	if err != nil {
		return "", Identity{}, err
	}
	iat := m.issueTime(a, now)
	exp := now.Add(duration)
	token, err := sign(key, a.Name, rand.Text(), iat, exp)
	if err != nil {
		return "", Identity{}, err
	}
	return token, Identity{Subject: a.Name, Issuer: Issuer, ExpiresAt: exp}, nil
}

// checkPassword returns the account username of st when password is its
// password and it may log in, and records the outcome for the lockout.
func (m *Manager) checkPassword(st state, username, password string, now time.Time) (Account, error) {
	a, ok, err := st.account(username)
	if err != nil {
		return Account{}, err
	}
	usable := ok && a.Enabled && a.Can(CapabilityLogin) && a.PasswordHash != ""
	hash := dummyHash
	if usable {
		hash = []byte(a.PasswordHash)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !usable {
		m.failures.fail(username, now)
		return Account{}, ErrInvalidCredentials
	}
	m.failures.succeed(username)
	return a, nil
}

// issueTime is the iat of a token issued now: strictly after the
// account's last password change, so that the change, which refuses
// every token issued up to its second, spares the tokens issued after it.
func (m *Manager) issueTime(a Account, now time.Time) time.Time {
	iat := now.Truncate(time.Second)
	if mtime := m.passwordMtime(a); !iat.After(mtime) {
		iat = mtime.Truncate(time.Second).Add(time.Second)
	}
	return iat
}

// passwordMtime is the last password change of a, as read or as made by
// this process, whichever is later.
func (m *Manager) passwordMtime(a Account) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	if local := m.mtimes[a.Name]; local.After(a.PasswordMtime) {
		return local
	}
	return a.PasswordMtime
}

// sessionDuration is users.session.duration of argocd-cm.
func sessionDuration(cm map[string]string) (time.Duration, error) {
	v := strings.TrimSpace(cm[KeySessionDuration])
	if v == "" {
		return DefaultSessionDuration, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: %s: not a positive duration: %q", ConfigMap, KeySessionDuration, v)
	}
	return d, nil
}
