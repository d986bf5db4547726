package session

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Account capabilities, as argocd-cm writes them in accounts.<name>.
const (
	CapabilityLogin  = "login"
	CapabilityAPIKey = "apiKey"
)

// Account is one local account: its settings from argocd-cm and its
// secrets from argocd-secret.
type Account struct {
	Name         string
	Enabled      bool
	Capabilities []string
	// PasswordHash is the bcrypt hash; empty when no password is set.
	PasswordHash string
	// PasswordMtime is when the password last changed; tokens issued
	// before it are refused. Zero when never.
	PasswordMtime time.Time
	Tokens        []Token
}

// Token is one API token of an account, as argocd-secret keeps it in
// accounts.<name>.tokens: its id and when it was issued and ends (Unix
// seconds; 0 for never).
type Token struct {
	ID        string `json:"id"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp,omitempty"`
}

// Can reports whether the account has capability c.
func (a Account) Can(c string) bool { return slices.Contains(a.Capabilities, c) }

// HasToken reports whether the account still holds the token id.
func (a Account) HasToken(id string) bool {
	return slices.ContainsFunc(a.Tokens, func(t Token) bool { return t.ID == id })
}

// secretKey is the argocd-secret key of an account's field: admin.<field>
// for the admin, accounts.<name>.<field> for the others.
func secretKey(account, field string) string {
	if account == Admin {
		return Admin + "." + field
	}
	return "accounts." + account + "." + field
}

// ParseAccounts reads the accounts of argocd-cm (cm) and their secrets in
// argocd-secret (secret). The admin is always there, with the login
// capability, enabled unless admin.enabled is "false"; accounts.admin may
// add capabilities. A value that does not parse is an error naming its
// key.
func ParseAccounts(cm map[string]string, secret map[string][]byte) (map[string]Account, error) {
	out := map[string]Account{Admin: {Name: Admin, Enabled: true, Capabilities: []string{CapabilityLogin}}}
	for key, value := range cm {
		name, ok := strings.CutPrefix(key, "accounts.")
		if !ok || name == "" || strings.HasSuffix(name, ".enabled") {
			continue
		}
		a := out[name]
		a.Name, a.Enabled = name, true
		for _, c := range strings.Split(value, ",") {
			if c = strings.TrimSpace(c); c != "" && !a.Can(c) {
				a.Capabilities = append(a.Capabilities, c)
			}
		}
		if name == Admin && !a.Can(CapabilityLogin) {
			a.Capabilities = append([]string{CapabilityLogin}, a.Capabilities...)
		}
		out[name] = a
	}
	for name, a := range out {
		enabledKey := "accounts." + name + ".enabled"
		if name == Admin {
			enabledKey = "admin.enabled"
		}
		if v, ok := cm[enabledKey]; ok && strings.TrimSpace(v) != "" {
			enabled, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", ConfigMap, enabledKey, err)
			}
			a.Enabled = enabled
		}
		if err := a.readSecret(secret); err != nil {
			return nil, err
		}
		out[name] = a
	}
	return out, nil
}

// readSecret fills in the password and tokens of a from argocd-secret.
func (a *Account) readSecret(secret map[string][]byte) error {
	a.PasswordHash = string(secret[secretKey(a.Name, "password")])
	if v := strings.TrimSpace(string(secret[secretKey(a.Name, "passwordMtime")])); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", Secret, secretKey(a.Name, "passwordMtime"), err)
		}
		a.PasswordMtime = t
	}
	if v := strings.TrimSpace(string(secret[secretKey(a.Name, "tokens")])); v != "" {
		if err := json.Unmarshal([]byte(v), &a.Tokens); err != nil {
			return fmt.Errorf("%s: %s: %w", Secret, secretKey(a.Name, "tokens"), err)
		}
	}
	return nil
}
