package server

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// projectWithRoles creates AppProject name with roles in the server's
// namespace and waits until the API's cache holds it.
func projectWithRoles(t *testing.T, s *testServer, name string, roles ...v1alpha1.ProjectRole) {
	t.Helper()
	p := &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: name}, Spec: v1alpha1.AppProjectSpec{
		SourceRepos:  []string{"*"},
		Destinations: []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}},
		Roles:        roles,
	}}
	if err := s.Client.Create(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the cache to see AppProject "+name, func(ctx context.Context) (bool, error) {
		return s.API.Client.Get(ctx, client.ObjectKeyFromObject(p), &v1alpha1.AppProject{}) == nil, nil
	})
}

// TestProjectRoleTokens: the admin issues a token for a project role; it
// acts as the role within its project only; once deleted it is refused.
func TestProjectRoleTokens(t *testing.T) {
	s := newTestServer(t, withAccount("alice", "login", "alice-password"))
	projectWithRoles(t, s, "a", v1alpha1.ProjectRole{Name: "ci", Policies: []string{"p, proj:a:ci, applications, get, a/*, allow"}})
	projectWithRoles(t, s, "b")
	createApps(t, s, appIn(s, "web-a", "a", "https://git.example.com/a.git"), appIn(s, "web-b", "b", "https://git.example.com/b.git"))
	admin, alice := s.loginAdmin(t), s.login(t, "alice", "alice-password")

	s.status(t, alice, http.MethodPost, "/api/v1/projects/a/roles/ci/token", map[string]any{"id": "x"}, http.StatusForbidden)
	s.status(t, admin, http.MethodPost, "/api/v1/projects/a/roles/nope/token", map[string]any{}, http.StatusNotFound)
	s.status(t, admin, http.MethodPost, "/api/v1/projects/a/roles/ci/token", map[string]any{"expiresIn": -1}, http.StatusBadRequest)

	before := time.Now().Unix()
	var out tokenResponse
	s.decode(t, s.do(t, admin, http.MethodPost, "/api/v1/projects/a/roles/ci/token", map[string]any{"expiresIn": "3600", "id": "ci-1"}), http.StatusOK, &out)
	s.status(t, admin, http.MethodPost, "/api/v1/projects/a/roles/ci/token", map[string]any{"id": "ci-1"}, http.StatusConflict)

	var proj v1alpha1.AppProject
	if err := s.Client.Get(t.Context(), client.ObjectKey{Namespace: s.Namespace, Name: "a"}, &proj); err != nil {
		t.Fatal(err)
	}
	recorded := proj.Spec.Roles[0].JWTTokens
	if len(recorded) != 1 || recorded[0].ID != "ci-1" || recorded[0].IssuedAt < before || recorded[0].ExpiresAt != recorded[0].IssuedAt+3600 {
		t.Fatalf("spec.roles[ci].jwtTokens = %+v, want one ci-1 issued now and ending an hour later", recorded)
	}
	if diff := cmp.Diff(recorded, proj.Status.JWTTokensByRole["ci"].Items); diff != "" {
		t.Errorf("status.jwtTokensByRole[ci] (-spec +status):\n%s", diff)
	}

	eventually(t, "the token to be honoured", func(context.Context) (bool, error) {
		resp := s.do(t, out.Token, http.MethodGet, "/api/v1/applications/web-a", nil)
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	s.status(t, out.Token, http.MethodGet, "/api/v1/applications/web-b", nil, http.StatusForbidden)
	s.status(t, out.Token, http.MethodPost, "/api/v1/projects/a/roles/ci/token", map[string]any{}, http.StatusForbidden)

	s.status(t, alice, http.MethodDelete, fmt.Sprintf("/api/v1/projects/a/roles/ci/token/%d", recorded[0].IssuedAt), nil, http.StatusForbidden)
	s.status(t, admin, http.MethodDelete, fmt.Sprintf("/api/v1/projects/a/roles/ci/token/%d", recorded[0].IssuedAt), nil, http.StatusOK)
	if err := s.Client.Get(t.Context(), client.ObjectKey{Namespace: s.Namespace, Name: "a"}, &proj); err != nil {
		t.Fatal(err)
	}
	if len(proj.Spec.Roles[0].JWTTokens) != 0 || len(proj.Status.JWTTokensByRole) != 0 {
		t.Errorf("after the delete: spec %+v, status %+v; want no tokens", proj.Spec.Roles[0].JWTTokens, proj.Status.JWTTokensByRole)
	}
	eventually(t, "the deleted token to be refused", func(context.Context) (bool, error) {
		resp := s.do(t, out.Token, http.MethodGet, "/api/v1/applications/web-a", nil)
		resp.Body.Close()
		return resp.StatusCode == http.StatusUnauthorized, nil
	})
}

// TestUnrecordedProjectTokenIsRefused: a well-signed token of a project
// role that the AppProject does not record is refused.
func TestUnrecordedProjectTokenIsRefused(t *testing.T) {
	s := newTestServer(t)
	projectWithRoles(t, s, "a", v1alpha1.ProjectRole{Name: "ci", Policies: []string{"p, proj:a:ci, applications, get, a/*, allow"}, JWTTokens: []v1alpha1.JWTToken{{IssuedAt: 1000, ID: "old"}}})
	createApps(t, s, appIn(s, "web-a", "a", "https://git.example.com/a.git"))
	for name, tok := range map[string]struct {
		iat int64
		id  string
	}{"recorded": {1000, "old"}, "other time": {1001, "old"}, "other id": {1000, "new"}} {
		signed, err := s.API.Sessions.SignProjectToken(t.Context(), "a", "ci", tok.id, time.Unix(tok.iat, 0), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		want := http.StatusUnauthorized
		if name == "recorded" {
			want = http.StatusOK
		}
		resp := s.do(t, signed, http.MethodGet, "/api/v1/applications/web-a", nil)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s token: status %d, want %d", name, resp.StatusCode, want)
		}
	}
}
