package session

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// CreateToken issues an API token for account name, with id (a random
// one when empty), ending after expiresIn (never when zero), and records
// it in argocd-secret accounts.<name>.tokens. The account needs the
// apiKey capability; an id it already holds is ErrInvalid.
func (m *Manager) CreateToken(ctx context.Context, name, id string, expiresIn time.Duration) (string, Token, error) {
	st, err := m.read(ctx, m.opts.Reader)
	if err != nil {
		return "", Token{}, err
	}
	a, ok, err := st.account(name)
	switch {
	case err != nil:
		return "", Token{}, err
	case !ok:
		return "", Token{}, fmt.Errorf("account %s: %w", name, ErrNoAccount)
	case !a.Enabled || !a.Can(CapabilityAPIKey):
		return "", Token{}, fmt.Errorf("account %s is disabled or has no %s capability: %w", name, CapabilityAPIKey, ErrInvalid)
	}
	key, err := st.signingKey()
	if err != nil {
		return "", Token{}, err
	}
	if id = strings.TrimSpace(id); id == "" {
		id = strings.ToLower(rand.Text())
	}
	iat := m.issueTime(a, m.now())
	t := Token{ID: id, IssuedAt: iat.Unix()}
	var exp time.Time
	if expiresIn > 0 {
		exp = iat.Add(expiresIn)
		t.ExpiresAt = exp.Unix()
	}
	err = m.updateTokens(ctx, name, func(tokens []Token) ([]Token, error) {
		if slices.ContainsFunc(tokens, func(o Token) bool { return o.ID == id }) {
			return nil, fmt.Errorf("account %s already has a token with id %s: %w", name, id, ErrInvalid)
		}
		return append(tokens, t), nil
	})
	if err != nil {
		return "", Token{}, err
	}
	signed, err := sign(key, name+apiKeySuffix, id, iat, exp)
	return signed, t, err
}

// DeleteToken deletes API token id of account name: it is refused from
// then on. A token the account does not hold is ErrNoToken.
func (m *Manager) DeleteToken(ctx context.Context, name, id string) error {
	err := m.updateTokens(ctx, name, func(tokens []Token) ([]Token, error) {
		i := slices.IndexFunc(tokens, func(o Token) bool { return o.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("account %s: token %s: %w", name, id, ErrNoToken)
		}
		return slices.Delete(tokens, i, i+1), nil
	})
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.deletedIDs[name+"/"+id] = true
	m.mu.Unlock()
	return nil
}

// updateTokens rewrites the token list of account name with change.
func (m *Manager) updateTokens(ctx context.Context, name string, change func([]Token) ([]Token, error)) error {
	key := secretKey(name, "tokens")
	return m.updateSecret(ctx, func(data map[string][]byte) (bool, error) {
		var tokens []Token
		if v := strings.TrimSpace(string(data[key])); v != "" {
			if err := json.Unmarshal([]byte(v), &tokens); err != nil {
				return false, fmt.Errorf("%s: %s: %w", Secret, key, err)
			}
		}
		tokens, err := change(tokens)
		if err != nil {
			return false, err
		}
		out, err := json.Marshal(tokens)
		if err != nil {
			return false, err
		}
		data[key] = out
		return true, nil
	})
}

// Accounts are the local accounts, read through the cache.
func (m *Manager) Accounts(ctx context.Context) (map[string]Account, error) {
	st, err := m.read(ctx, m.opts.Client)
	if err != nil {
		return nil, err
	}
	return ParseAccounts(st.cm, st.secret)
}
