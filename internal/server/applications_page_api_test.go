package server

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
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
