package server

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/settings"
)

// TestApplicationsPageRBAC lists the dashboard's page as callers of
// different reach on the real API: each sees, counts and is offered only
// the Applications it may get.
func TestApplicationsPageRBAC(t *testing.T) {
	s := newTestServer(t, withAccount("alice", "login", "alice-password"), withGrants(grants{"alice": {"get team-a"}}))
	admin, alice := s.loginAdmin(t), s.login(t, "alice", "alice-password")
	repo := "https://git.example.com/apps.git"
	a1, a2, b1 := appIn(s, "a1", "team-a", repo), appIn(s, "a2", "team-a", repo), appIn(s, "b1", "team-b", repo)
	createApps(t, s, a1, a2, b1)

	type seen struct {
		Names    []string
		Total    int
		Visible  int
		Unknown  int
		Projects []string
	}
	tests := []struct {
		name, token, query string
		want               seen
	}{
		{"admin, everything", admin, "", seen{[]string{"a1", "a2", "b1"}, 3, 3, 3, []string{"team-a", "team-b"}}},
		{"admin, a page of one", admin, "?size=1&page=3", seen{[]string{"b1"}, 3, 3, 3, []string{"team-a", "team-b"}}},
		{"alice, her project only", alice, "", seen{[]string{"a1", "a2"}, 2, 2, 2, []string{"team-a"}}},
		{"alice asks for another project", alice, "?project=team-b", seen{[]string{}, 0, 2, 0, []string{"team-a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got appPage
			s.decode(t, s.do(t, tt.token, http.MethodGet, "/api/v1/ui/applications"+tt.query, nil), http.StatusOK, &got)
			g := seen{Total: got.Total, Visible: got.Visible, Unknown: got.Counts.Sync["Unknown"], Projects: got.Options.Projects}
			for _, it := range got.Items {
				g.Names = append(g.Names, it.Name)
			}
			if g.Names == nil {
				g.Names = []string{}
			}
			if diff := cmp.Diff(tt.want, g); diff != "" {
				t.Errorf("page (-want +got):\n%s", diff)
			}
			if got.Metadata.ResourceVersion == "" {
				t.Error("the page has no resourceVersion to stream from")
			}
		})
	}
	s.status(t, admin, http.MethodGet, "/api/v1/ui/applications?size=5000", nil, http.StatusBadRequest)
	s.status(t, "", http.MethodGet, "/api/v1/ui/applications", nil, http.StatusUnauthorized)
}

// TestApplicationsPageRBACByApplication lists the page for callers whose
// permissions name single Applications, where one decision per project
// does not hold, and for a project role's token, which sees its own
// project only.
func TestApplicationsPageRBACByApplication(t *testing.T) {
	policy := "p, bob, applications, get, */*, allow\np, bob, applications, get, team-a/a2, deny\np, carol, applications, get, team-*/?1, allow"
	s := newTestServer(t, withAccount("bob", "login", "bob-password"), withAccount("carol", "login", "carol-password"),
		withConfigMap(settings.RBAC, map[string]string{"policy.csv": policy}))
	projectWithRoles(t, s, "team-a")
	projectWithRoles(t, s, "team-b", v1alpha1.ProjectRole{Name: "ci", Policies: []string{"p, proj:team-b:ci, applications, get, team-b/*, allow"}})
	repo := "https://git.example.com/apps.git"
	createApps(t, s, appIn(s, "a1", "team-a", repo), appIn(s, "a2", "team-a", repo), appIn(s, "b1", "team-b", repo), appIn(s, "b2", "team-b", repo))
	admin := s.loginAdmin(t)
	var token tokenResponse
	s.decode(t, s.do(t, admin, http.MethodPost, "/api/v1/projects/team-b/roles/ci/token", map[string]any{"id": "page"}), http.StatusOK, &token)

	got := map[string][]string{}
	for who, tok := range map[string]string{"bob": s.login(t, "bob", "bob-password"), "carol": s.login(t, "carol", "carol-password"), "team-b ci": token.Token} {
		var page appPage
		s.decode(t, s.do(t, tok, http.MethodGet, "/api/v1/ui/applications", nil), http.StatusOK, &page)
		for _, it := range page.Items {
			got[who] = append(got[who], it.Name)
		}
	}
	want := map[string][]string{"bob": {"a1", "b1", "b2"}, "carol": {"a1", "b1"}, "team-b ci": {"b1", "b2"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Applications on the page (-want +got):\n%s", diff)
	}
}
