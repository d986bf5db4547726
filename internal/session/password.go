package session

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// UpdatePassword sets the password of account name to newPassword, once
// caller has proven who they are with their own current password. The
// new password must match passwordPattern of argocd-cm (default
// DefaultPasswordPattern). Every token of the account issued until now is
// refused from then on. Whether caller may change name's password is the
// server's question, not this one's.
func (m *Manager) UpdatePassword(ctx context.Context, caller, current, name, newPassword string) error {
	now := m.now()
	if m.failures.locked(caller, now) {
		return ErrLocked
	}
	st, err := m.read(ctx, m.opts.Reader)
	if err != nil {
		return err
	}
	if _, err := m.checkPassword(st, caller, current, now); err != nil {
		return err
	}
	a, ok, err := st.account(name)
	if err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("account %s: %w", name, ErrNoAccount)
	}
	if err := checkPattern(st.cm, newPassword); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(newPassword), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("hash the new password of %s: %w", name, err)
	}
	// The change time is after every token issued so far, even those
	// issued in its own second (see issueTime).
	mtime := m.issueTime(a, now).UTC()
	err = m.updateSecret(ctx, func(data map[string][]byte) (bool, error) {
		data[secretKey(name, "password")] = hash
		data[secretKey(name, "passwordMtime")] = []byte(mtime.Format(timeFormat))
		return true, nil
	})
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.mtimes[name] = mtime
	m.mu.Unlock()
	return nil
}

// checkPattern refuses a password that does not match passwordPattern.
func checkPattern(cm map[string]string, password string) error {
	pattern := strings.TrimSpace(cm[KeyPasswordPattern])
	if pattern == "" {
		pattern = DefaultPasswordPattern
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", ConfigMap, KeyPasswordPattern, err)
	}
	if !re.MatchString(password) {
		return fmt.Errorf("the new password does not match %s %q: %w", KeyPasswordPattern, pattern, ErrInvalid)
	}
	return nil
}
