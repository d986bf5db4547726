package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

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

// A refresh asked while the same one is pending is not answered by the
// pass that takes the pending one, which may have begun before the
// request: the server waits for that pass, asks again, and answers with
// the next.
func TestApplicationGetRefreshWhilePending(t *testing.T) {
	s := newTestServer(t)
	admin := s.loginAdmin(t)
	app := appIn(s, "pending", "", "https://git.example.com/a")
	app.Annotations = map[string]string{v1alpha1.AnnotationRefresh: v1alpha1.RefreshTypeNormal}
	createApps(t, s, app)
	answer := s.getLater(t, admin, "/api/v1/applications/pending?refresh=normal")
	// Once subscribed, the server has read the Application, pending.
	eventually(t, "the refresh to wait", func(context.Context) (bool, error) {
		s.API.streams.mu.Lock()
		defer s.API.streams.mu.Unlock()
		return len(s.API.streams.subs) > 0, nil
	})
	// What the controller does: it answers the pending request, then the
	// one asked again.
	answerRefresh := func(pass string) {
		t.Helper()
		app := stored(t, s, "pending")
		patch := client.MergeFrom(app.DeepCopy())
		delete(app.Annotations, v1alpha1.AnnotationRefresh)
		app.Labels = map[string]string{"pass": pass}
		if err := s.Client.Patch(t.Context(), app, patch); err != nil {
			t.Fatal(err)
		}
	}
	answerRefresh("before")
	eventually(t, "the refresh asked again", func(context.Context) (bool, error) {
		return stored(t, s, "pending").Annotations[v1alpha1.AnnotationRefresh] == v1alpha1.RefreshTypeNormal, nil
	})
	answerRefresh("after")
	var got v1alpha1.Application
	s.decode(t, <-answer, http.StatusOK, &got)
	if got.Labels["pass"] != "after" {
		t.Errorf("answered with the pass %q, want the one after the request", got.Labels["pass"])
	}
}

// getLater sends a GET of path with token and answers its response on the
// channel once it comes, while the test goes on.
func (s *testServer) getLater(t *testing.T, token, path string) <-chan *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	answer := make(chan *http.Response, 1)
	go func() {
		resp, err := s.http.Do(req)
		if err != nil {
			t.Error(err)
		}
		answer <- resp
	}()
	return answer
}
