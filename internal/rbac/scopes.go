package rbac

// ScopeValues are the groups of an SSO user: the values of the claims
// named by scopes (argocd-rbac-cm's scopes, DefaultScopes when unset),
// each a string or a list of strings, in order. Other values are
// skipped.
func ScopeValues(claims map[string]any, scopes []string) []string {
	var out []string
	for _, scope := range scopes {
		switch v := claims[scope].(type) {
		case string:
			out = append(out, v)
		case []string:
			out = append(out, v...)
		case []any:
			for _, item := range v {
				if s, ok := item.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}
