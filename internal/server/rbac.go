package server

import (
	"context"

	"github.com/capstan-cd/capstan/internal/rbac"
)

// rbacAuthorizer decides with an rbac.Enforcer: argocd-rbac-cm, the
// built-in roles and the roles of AppProjects.
type rbacAuthorizer struct{ enf *rbac.Enforcer }

// NewAuthorizer is the Authorizer of enf, for API.RBAC.
func NewAuthorizer(enf *rbac.Enforcer) Authorizer { return rbacAuthorizer{enf: enf} }

func (a rbacAuthorizer) Enforce(ctx context.Context, p Principal, resource, action, object string) bool {
	groups := p.Groups
	if p.Claims != nil {
		// An SSO user's groups are the values of the claims scopes name.
		groups = rbac.ScopeValues(p.Claims, a.enf.Config().Scopes)
	}
	return a.enf.Enforce(ctx, rbac.Claims{Subject: p.Subject, Groups: groups}, resource, action, object)
}
