package server

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/rbac"
)

// projectTokenRoutes issue and revoke the tokens of project roles.
func (a *API) projectTokenRoutes() []route {
	return []route{
		{pattern: "POST /api/v1/projects/{project}/roles/{role}/token", handle: a.createProjectToken, doc: "Create a token for a role of an AppProject"},
		{pattern: "DELETE /api/v1/projects/{project}/roles/{role}/token/{iat}", handle: a.deleteProjectToken, doc: "Revoke a token of a role of an AppProject", query: []string{"id"}},
	}
}

// projectTokenRequest is the body of a token request; expiresIn is in
// seconds, 0 for a token that does not expire.
type projectTokenRequest struct {
	ExpiresIn   flexibleInt `json:"expiresIn"`
	ID          string      `json:"id"`
	Description string      `json:"description"`
}

// errNoRole is a project that has no role of the name asked.
var errNoRole = errors.New("no such role")

// createProjectToken answers POST .../projects/{project}/roles/{role}/token
// with a token whose subject is proj:<project>:<role>, recorded in the
// role's spec.roles[].jwtTokens and in status.jwtTokensByRole. It needs
// projects, update on the project.
func (a *API) createProjectToken(w http.ResponseWriter, r *http.Request) {
	project, role := r.PathValue("project"), r.PathValue("role")
	if !a.allowed(w, r, rbac.ResourceProjects, rbac.ActionUpdate, project) {
		return
	}
	var req projectTokenRequest
	if !readJSON(w, r, &req) {
		return
	}
	if req.ExpiresIn < 0 {
		writeError(w, http.StatusBadRequest, "expiresIn %d is negative", req.ExpiresIn)
		return
	}
	if a.Sessions == nil {
		writeError(w, http.StatusServiceUnavailable, "project tokens need capstan's sessions, which this server does not run")
		return
	}
	id := strings.TrimSpace(req.ID)
	if id == "" {
		id = strings.ToLower(rand.Text())
	}
	var tok v1alpha1.JWTToken
	err := a.updateRoleTokens(r.Context(), project, role, func(tokens []v1alpha1.JWTToken) ([]v1alpha1.JWTToken, error) {
		if slices.ContainsFunc(tokens, func(t v1alpha1.JWTToken) bool { return t.ID == id }) {
			return nil, apierrors.NewAlreadyExists(v1alpha1.GroupVersion.WithResource("appprojects").GroupResource(), project+" role "+role+" token "+id)
		}
		// A token is revoked by its issue time: give each its own second.
		iat := time.Now().Unix()
		for slices.ContainsFunc(tokens, func(t v1alpha1.JWTToken) bool { return t.IssuedAt == iat }) {
			iat++
		}
		tok = v1alpha1.JWTToken{IssuedAt: iat, ID: id}
		if req.ExpiresIn > 0 {
			tok.ExpiresAt = iat + int64(req.ExpiresIn)
		}
		return append(tokens, tok), nil
	})
	if a.writeTokenError(w, err, project, role) {
		return
	}
	var exp time.Time
	if tok.ExpiresAt > 0 {
		exp = time.Unix(tok.ExpiresAt, 0)
	}
	signed, err := a.Sessions.SignProjectToken(r.Context(), project, role, id, time.Unix(tok.IssuedAt, 0), exp)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "sign a token for project %s role %s: %v", project, role, err)
		return
	}
	writeJSON(w, http.StatusOK, tokenResponse{Token: signed})
}

// deleteProjectToken answers DELETE .../roles/{role}/token/{iat}: the
// token issued at iat (and with ?id= when given) is refused from then
// on. Deleting a token that is not recorded succeeds. It needs projects,
// update on the project.
func (a *API) deleteProjectToken(w http.ResponseWriter, r *http.Request) {
	project, role := r.PathValue("project"), r.PathValue("role")
	if !a.allowed(w, r, rbac.ResourceProjects, rbac.ActionUpdate, project) {
		return
	}
	iat, err := strconv.ParseInt(r.PathValue("iat"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "iat %q is not a number of seconds", r.PathValue("iat"))
		return
	}
	id := r.URL.Query().Get("id")
	err = a.updateRoleTokens(r.Context(), project, role, func(tokens []v1alpha1.JWTToken) ([]v1alpha1.JWTToken, error) {
		return slices.DeleteFunc(tokens, func(t v1alpha1.JWTToken) bool { return t.IssuedAt == iat && (id == "" || t.ID == id) }), nil
	})
	if a.writeTokenError(w, err, project, role) {
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// writeTokenError answers err of a token change, when there is one.
func (a *API) writeTokenError(w http.ResponseWriter, err error, project, role string) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, errNoRole):
		writeError(w, http.StatusNotFound, "project %s has no role %s", project, role)
	default:
		writeKubeError(w, err, "tokens of project %s role %s", project, role)
	}
	return true
}

// updateRoleTokens rewrites the tokens of role in AppProject project with
// change, in spec.roles[].jwtTokens and then in status.jwtTokensByRole.
func (a *API) updateRoleTokens(ctx context.Context, project, role string, change func([]v1alpha1.JWTToken) ([]v1alpha1.JWTToken, error)) error {
	key := client.ObjectKey{Namespace: a.Namespace, Name: project}
	var proj v1alpha1.AppProject
	var tokens []v1alpha1.JWTToken
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		if err := a.Client.Get(ctx, key, &proj); err != nil {
			return err
		}
		i := slices.IndexFunc(proj.Spec.Roles, func(pr v1alpha1.ProjectRole) bool { return pr.Name == role })
		if i < 0 {
			return errNoRole
		}
		var err error
		if tokens, err = change(slices.Clone(proj.Spec.Roles[i].JWTTokens)); err != nil {
			return err
		}
		proj.Spec.Roles[i].JWTTokens = tokens
		return a.Client.Update(ctx, &proj)
	})
	if err != nil {
		return err
	}
	return retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		if proj.Status.JWTTokensByRole == nil {
			proj.Status.JWTTokensByRole = map[string]v1alpha1.JWTTokens{}
		}
		proj.Status.JWTTokensByRole[role] = v1alpha1.JWTTokens{Items: tokens}
		if len(tokens) == 0 {
			delete(proj.Status.JWTTokensByRole, role)
		}
		err := a.Client.Status().Update(ctx, &proj)
		if apierrors.IsConflict(err) {
			if getErr := a.Client.Get(ctx, key, &proj); getErr != nil {
				return getErr
			}
		}
		return err
	})
}
