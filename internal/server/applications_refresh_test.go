package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// A refresh no controller answers ends with 504 once its bound has passed,
// and leaves the annotation for the controller to act on.
func TestApplicationGetRefreshIsBounded(t *testing.T) {
	s := newTestServer(t)
	admin := s.loginAdmin(t)
	createApps(t, s, appIn(s, "unanswered", "", "https://git.example.com/a"))
	s.API.refreshTimeout = 100 * time.Millisecond
	srv := httptest.NewTLSServer(s.API.Handler())
	t.Cleanup(srv.Close)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/api/v1/applications/unanswered?refresh=normal", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Errorf("an unanswered refresh: %s, want 504", resp.Status)
	}
	if got := stored(t, s, "unanswered").Annotations[v1alpha1.AnnotationRefresh]; got != v1alpha1.RefreshTypeNormal {
		t.Errorf("after an unanswered refresh, the annotation is %q, want it left for the controller", got)
	}
}
