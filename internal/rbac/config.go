package rbac

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// The keys of argocd-rbac-cm.
const (
	KeyPolicy    = "policy.csv"
	KeyDefault   = "policy.default"
	KeyScopes    = "scopes"
	KeyMatchMode = "policy.matchMode"
)

// Match modes of policy.matchMode: how the resource, action and object of
// a permission are matched.
const (
	MatchGlob  = "glob"
	MatchRegex = "regex"
)

// DefaultScopes are the claims of an SSO token that name a user's groups
// when argocd-rbac-cm sets no scopes.
var DefaultScopes = []string{"groups"}

// Config is what argocd-rbac-cm says.
type Config struct {
	// Policy holds the lines of policy.csv, then of each
	// policy.<name>.csv in the order of their keys.
	Policy Policy
	// Default is policy.default: the role every signed-in caller holds
	// ("role:readonly"); empty for none.
	Default string
	// Scopes are the SSO token claims whose values are a user's groups.
	Scopes []string
	// MatchMode is policy.matchMode: MatchGlob or MatchRegex.
	MatchMode string
}

// ParseConfig reads the keys of argocd-rbac-cm. An error names the key,
// and the line for a policy; nothing of a config that fails is used.
func ParseConfig(data map[string]string) (Config, error) {
	c := Config{Default: strings.TrimSpace(data[KeyDefault]), Scopes: DefaultScopes, MatchMode: MatchGlob}
	if v := strings.TrimSpace(data[KeyMatchMode]); v != "" {
		if v != MatchGlob && v != MatchRegex {
			return Config{}, fmt.Errorf("%s %q is neither %s nor %s", KeyMatchMode, v, MatchGlob, MatchRegex)
		}
		c.MatchMode = v
	}
	if v := strings.TrimSpace(data[KeyScopes]); v != "" {
		var scopes []string
		if err := yaml.Unmarshal([]byte(v), &scopes); err != nil {
			return Config{}, fmt.Errorf("%s %q is not a list such as [groups, email]: %w", KeyScopes, v, err)
		}
		c.Scopes = scopes
	}
	for _, key := range policyKeys(data) {
		p, err := ParsePolicy(key, data[key])
		if err != nil {
			return Config{}, err
		}
		c.Policy.add(p)
	}
	if _, err := compile(c.MatchMode, c.Policy); err != nil {
		return Config{}, err
	}
	return c, nil
}

// policyKeys are the keys that hold policy lines: policy.csv first, then
// policy.<name>.csv sorted.
func policyKeys(data map[string]string) []string {
	var keys []string
	for _, key := range slices.Sorted(maps.Keys(data)) {
		if key != KeyPolicy && strings.HasPrefix(key, "policy.") && strings.HasSuffix(key, ".csv") {
			keys = append(keys, key)
		}
	}
	if _, ok := data[KeyPolicy]; ok {
		keys = append([]string{KeyPolicy}, keys...)
	}
	return keys
}
