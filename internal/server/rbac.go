package server

import (
	"context"
	"net/http"

	"github.com/capstan-cd/capstan/internal/rbac"
)

// rbacAuthorizer decides with an rbac.Enforcer: argocd-rbac-cm, the
// built-in roles and the roles of AppProjects.
type rbacAuthorizer struct{ enf *rbac.Enforcer }

// NewAuthorizer is the Authorizer of enf, for API.RBAC.
func NewAuthorizer(enf *rbac.Enforcer) Authorizer { return rbacAuthorizer{enf: enf} }

func (a rbacAuthorizer) Enforce(ctx context.Context, p Principal, resource, action, object string) bool {
	return a.enf.Enforce(ctx, a.claims(p), resource, action, object)
}

// Batch decides many objects in one rbac.Batch.
func (a rbacAuthorizer) Batch(ctx context.Context, p Principal, resource, action string) func(object string) bool {
	return a.enf.Batch(ctx, a.claims(p), resource, action).Allows
}

// claims are p's, as the policy knows them.
func (a rbacAuthorizer) claims(p Principal) rbac.Claims {
	groups := p.Groups
	if p.Claims != nil {
		// An SSO user's groups are the values of the claims scopes name.
		groups = rbac.ScopeValues(p.Claims, a.enf.Config().Scopes)
	}
	return rbac.Claims{Subject: p.Subject, Groups: groups}
}

// batchAuthorizer is an Authorizer that decides one action on many
// objects for less than an Enforce each: the function it returns answers
// as Enforce would, and is for one goroutine.
type batchAuthorizer interface {
	Batch(ctx context.Context, p Principal, resource, action string) func(object string) bool
}

// canEach is can for many objects: the function it returns reports
// whether the caller of r may take action on an object of resource. It is
// for one goroutine and one request.
func (a *API) canEach(r *http.Request, resource, action string) func(object string) bool {
	p, ok := PrincipalFrom(r.Context())
	if !ok || a.RBAC == nil {
		return func(string) bool { return false }
	}
	if b, ok := a.RBAC.(batchAuthorizer); ok {
		return b.Batch(r.Context(), p, resource, action)
	}
	return func(object string) bool { return a.RBAC.Enforce(r.Context(), p, resource, action, object) }
}
