package session

import (
	"context"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/rbac"
)

// SignProjectToken signs a token for role of project (subject
// proj:<project>:<role>) with id, issued at iat, ending at exp (never
// when zero). Authenticate honours it only while the AppProject records
// it in spec.roles[].jwtTokens: the caller records it there.
func (m *Manager) SignProjectToken(ctx context.Context, project, role, id string, iat, exp time.Time) (string, error) {
	st, err := m.read(ctx, m.opts.Reader)
	if err != nil {
		return "", err
	}
	key, err := st.signingKey()
	if err != nil {
		return "", err
	}
	return sign(key, rbac.ProjectSubject(project, role), id, iat, exp)
}

// verifyProjectToken checks the token of a project role against the
// AppProject read through r: the project must hold the role, and the
// role's spec.roles[].jwtTokens must record the token (its issue time,
// and its id when it has one). A token whose entry was deleted is
// ErrNoToken.
func (m *Manager) verifyProjectToken(ctx context.Context, r client.Reader, c claims, project, role string) (Identity, error) {
	var proj v1alpha1.AppProject
	err := r.Get(ctx, client.ObjectKey{Namespace: m.opts.Namespace, Name: project}, &proj)
	switch {
	case apierrors.IsNotFound(err):
		return Identity{}, fmt.Errorf("project %s: %w", project, ErrNoToken)
	case err != nil:
		return Identity{}, fmt.Errorf("read AppProject %s/%s: %w", m.opts.Namespace, project, err)
	}
	i := slices.IndexFunc(proj.Spec.Roles, func(pr v1alpha1.ProjectRole) bool { return pr.Name == role })
	if i < 0 || !slices.ContainsFunc(proj.Spec.Roles[i].JWTTokens, func(t v1alpha1.JWTToken) bool {
		return t.IssuedAt == c.IssuedAt.Unix() && (c.ID == "" || t.ID == c.ID)
	}) {
		return Identity{}, fmt.Errorf("project %s role %s: token issued at %d: %w", project, role, c.IssuedAt.Unix(), ErrNoToken)
	}
	id := Identity{Subject: c.Subject, Issuer: Issuer, TokenID: c.ID}
	if c.ExpiresAt != nil {
		id.ExpiresAt = c.ExpiresAt.Time
	}
	return id, nil
}
