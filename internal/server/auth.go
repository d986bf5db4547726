package server

import (
	"context"
	"net/http"
	"strings"
)

// Principal is who made a request: a local account, an SSO user, or a
// project role's token (subject proj:<project>:<role>).
type Principal struct {
	// Subject is the account name, the SSO subject, or the project role.
	Subject string
	// Groups are the SSO groups (with the scopes of argocd-rbac-cm).
	Groups []string
	// Issuer is "argocd" for capstan's own tokens, the OIDC issuer for SSO.
	Issuer string
	// TokenID is the jti of an API token; empty for a login session.
	TokenID string
	// Claims are the claims of an SSO ID token, nil for capstan's own
	// tokens: argocd-rbac-cm's scopes name those that hold groups.
	Claims map[string]any
}

// Authenticator verifies a bearer token: a session JWT, an API token or
// an SSO ID token.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Principal, error)
}

// Authorizer decides whether p may take action on object of resource, in
// Argo CD's RBAC terms: resource "applications", action "get", object
// "<project>/<name>".
type Authorizer interface {
	Enforce(ctx context.Context, p Principal, resource, action, object string) bool
}

// TokenCookie is the cookie the web UI keeps its session token in.
const TokenCookie = "argocd.token"

type principalKey struct{}

// PrincipalFrom returns the caller of an authenticated request.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// bearer is the token of a request: the Authorization header first, then
// the session cookie.
func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
	}
	if c, err := r.Cookie(TokenCookie); err == nil {
		return c.Value
	}
	return ""
}

// authenticated refuses a request without a valid token, and otherwise
// passes it on with its Principal in the context.
func (a *API) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := bearer(r)
		if token == "" || a.Auth == nil {
			writeError(w, http.StatusUnauthorized, "no session information")
			return
		}
		p, err := a.Auth.Authenticate(r.Context(), token)
		if err != nil {
			writeError(w, http.StatusUnauthorized, "invalid session: %v", err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// allowed reports whether the caller of r may take action on object of
// resource, and answers 403 when it may not.
func (a *API) allowed(w http.ResponseWriter, r *http.Request, resource, action, object string) bool {
	p, ok := PrincipalFrom(r.Context())
	if ok && a.RBAC != nil && a.RBAC.Enforce(r.Context(), p, resource, action, object) {
		return true
	}
	writeError(w, http.StatusForbidden, "permission denied: %s, %s, %s", resource, action, object)
	return false
}

// can reports whether the caller of r may take action on object of
// resource, for filtering lists: a list leaves out what its caller may not
// get instead of refusing the whole request.
func (a *API) can(r *http.Request, resource, action, object string) bool {
	p, ok := PrincipalFrom(r.Context())
	return ok && a.RBAC != nil && a.RBAC.Enforce(r.Context(), p, resource, action, object)
}
