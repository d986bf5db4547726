package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/appcache"
	"github.com/capstan-cd/capstan/internal/cluster"
	"github.com/capstan-cd/capstan/internal/settings"
)

// grants are RBAC grants for the tests of the Application endpoints:
// subject → "<action> <project>" on the Applications of that project.
type grants map[string][]string

// withGrants writes g as the policy of argocd-rbac-cm, which the server's
// real RBAC reads; the admin may do anything, as always.
func withGrants(g grants) testServerOption {
	var lines []string
	for subject, list := range g {
		for _, grant := range list {
			action, project, _ := strings.Cut(grant, " ")
			lines = append(lines, fmt.Sprintf("p, %s, applications, %s, %s/*, allow", subject, action, project))
		}
	}
	return withConfigMap(settings.RBAC, map[string]string{"policy.csv": strings.Join(lines, "\n")})
}

// appIn is an Application of project in the server's namespace, from
// repo, to the in-cluster destination.
func appIn(s *testServer, name, project, repo string) *v1alpha1.Application {
	app := &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: name},
		Spec: v1alpha1.ApplicationSpec{
			Project:     project,
			Source:      &v1alpha1.ApplicationSource{RepoURL: repo, Path: "guestbook", TargetRevision: "main"},
			Destination: v1alpha1.ApplicationDestination{Server: cluster.InClusterServer, Namespace: project},
		},
	}
	return app
}

// createApps creates apps with the admin client and waits until the API's
// cache holds them.
func createApps(t *testing.T, s *testServer, apps ...*v1alpha1.Application) {
	t.Helper()
	for _, app := range apps {
		if err := s.Client.Create(t.Context(), app); err != nil {
			t.Fatal(err)
		}
	}
	for _, app := range apps {
		cachedWhen(t, s, app.Name, func(got *v1alpha1.Application) bool { return appcache.VersionOf(got) >= appcache.VersionOf(app) })
	}
}

// cachedWhen waits until the API's cache holds Application name and cond
// holds of it.
func cachedWhen(t *testing.T, s *testServer, name string, cond func(*v1alpha1.Application) bool) {
	t.Helper()
	eventually(t, "the cache to see Application "+name, func(ctx context.Context) (bool, error) {
		got := &v1alpha1.Application{}
		err := s.API.Client.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: name}, got)
		return err == nil && cond(got), nil
	})
}

// eventually polls cond until it holds, failing the test after a bound.
func eventually(t *testing.T, what string, cond wait.ConditionWithContextFunc) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(t.Context(), 20*time.Millisecond, 30*time.Second, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// stored reads Application name from the API server.
func stored(t *testing.T, s *testServer, name string) *v1alpha1.Application {
	t.Helper()
	app := &v1alpha1.Application{}
	if err := s.Client.Get(t.Context(), client.ObjectKey{Namespace: s.Namespace, Name: name}, app); err != nil {
		t.Fatal(err)
	}
	return app
}

// status sends a request and checks only the status of the answer.
func (s *testServer) status(t *testing.T, token, method, path string, body any, want int) {
	t.Helper()
	s.decode(t, s.do(t, token, method, path, body), want, nil)
}

// appList is the answer of a list.
type appList struct {
	Metadata metav1.ListMeta        `json:"metadata"`
	Items    []v1alpha1.Application `json:"items"`
}

func names(apps []v1alpha1.Application) []string {
	out := []string{}
	for _, a := range apps {
		out = append(out, a.Name)
	}
	return out
}

func TestApplicationList(t *testing.T) {
	s := newTestServer(t, withAccount("alice", "login", "alice-password"), withGrants(grants{"alice": {"get team-a"}}))
	admin, alice := s.loginAdmin(t), s.login(t, "alice", "alice-password")
	repo := "https://git.example.com/apps.git"
	a1, a2, b1, d1 := appIn(s, "a1", "team-a", repo), appIn(s, "a2", "team-a", repo), appIn(s, "b1", "team-b", "https://git.example.com/other"), appIn(s, "d1", "", repo)
	a1.Labels, b1.Labels = map[string]string{"tier": "web"}, map[string]string{"tier": "web"}
	createApps(t, s, d1, b1, a2, a1)

	tests := []struct {
		name, token, query string
		want               []string
	}{
		{"all, sorted by name", admin, "", []string{"a1", "a2", "b1", "d1"}},
		{"one project", admin, "?projects=team-a", []string{"a1", "a2"}},
		{"projects repeated", admin, "?projects=team-b&projects=default", []string{"b1", "d1"}},
		{"selector", admin, "?selector=tier%3Dweb", []string{"a1", "b1"}},
		{"search", admin, "?search=1", []string{"a1", "b1", "d1"}},
		{"repo", admin, "?repo=https://git.example.com/other.git", []string{"b1"}},
		{"what the caller may get", alice, "", []string{"a1", "a2"}},
		{"nothing the caller may not get", alice, "?projects=team-b", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got appList
			s.decode(t, s.do(t, tt.token, http.MethodGet, "/api/v1/applications"+tt.query, nil), http.StatusOK, &got)
			if diff := cmp.Diff(tt.want, names(got.Items)); diff != "" {
				t.Errorf("listed (-want +got):\n%s", diff)
			}
			if got.Metadata.ResourceVersion == "" {
				t.Error("the list has no resourceVersion to stream from")
			}
		})
	}

	var fields map[string]any
	s.decode(t, s.do(t, admin, http.MethodGet, "/api/v1/applications?projects=team-a&fields=items.metadata.name,items.spec.project", nil), http.StatusOK, &fields)
	want := map[string]any{"items": []any{
		map[string]any{"metadata": map[string]any{"name": "a1"}, "spec": map[string]any{"project": "team-a"}},
		map[string]any{"metadata": map[string]any{"name": "a2"}, "spec": map[string]any{"project": "team-a"}},
	}}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}

	s.status(t, "", http.MethodGet, "/api/v1/applications", nil, http.StatusUnauthorized)
	s.status(t, admin, http.MethodGet, "/api/v1/applications?selector=a+in+(b", nil, http.StatusBadRequest)
	s.status(t, admin, http.MethodGet, "/api/v1/applications?appNamespace=elsewhere", nil, http.StatusForbidden)
}

func TestApplicationGet(t *testing.T) {
	s := newTestServer(t, withAccount("alice", "login", "alice-password"), withGrants(grants{"alice": {"get team-a"}}))
	admin, alice := s.loginAdmin(t), s.login(t, "alice", "alice-password")
	createApps(t, s, appIn(s, "mine", "team-a", "https://git.example.com/a"), appIn(s, "theirs", "team-b", "https://git.example.com/b"))

	var got v1alpha1.Application
	s.decode(t, s.do(t, alice, http.MethodGet, "/api/v1/applications/mine", nil), http.StatusOK, &got)
	if got.Name != "mine" || got.Spec.Project != "team-a" {
		t.Errorf("got %s of %s", got.Name, got.Spec.Project)
	}
	s.status(t, alice, http.MethodGet, "/api/v1/applications/theirs", nil, http.StatusForbidden)
	// A missing Application looks like one the caller may not see...
	s.status(t, alice, http.MethodGet, "/api/v1/applications/missing", nil, http.StatusForbidden)
	// ...unless the caller names a project it may read.
	s.status(t, alice, http.MethodGet, "/api/v1/applications/missing?project=team-a", nil, http.StatusNotFound)
	s.status(t, alice, http.MethodGet, "/api/v1/applications/missing?project=team-b", nil, http.StatusForbidden)
	s.status(t, admin, http.MethodGet, "/api/v1/applications/mine?project=team-b", nil, http.StatusNotFound)
	s.status(t, admin, http.MethodGet, "/api/v1/applications/mine?refresh=soft", nil, http.StatusBadRequest)
}

// A refresh sets the annotation and answers once the controller has
// removed it, with the Application as it then is.
func TestApplicationGetRefresh(t *testing.T) {
	s := newTestServer(t)
	admin := s.loginAdmin(t)
	createApps(t, s, appIn(s, "refresh", "", "https://git.example.com/a"))
	answer := s.getLater(t, admin, "/api/v1/applications/refresh?refresh=hard")
	eventually(t, "the hard refresh annotation", func(context.Context) (bool, error) {
		return stored(t, s, "refresh").Annotations[v1alpha1.AnnotationRefresh] == v1alpha1.RefreshTypeHard, nil
	})
	select {
	case <-answer:
		t.Fatal("the refresh was answered before the controller refreshed")
	default:
	}
	// What the controller does once it has refreshed.
	app := stored(t, s, "refresh")
	patch := client.MergeFrom(app.DeepCopy())
	delete(app.Annotations, v1alpha1.AnnotationRefresh)
	app.Labels = map[string]string{"refreshed": "yes"}
	if err := s.Client.Patch(t.Context(), app, patch); err != nil {
		t.Fatal(err)
	}
	var got v1alpha1.Application
	s.decode(t, <-answer, http.StatusOK, &got)
	if _, pending := got.Annotations[v1alpha1.AnnotationRefresh]; pending || got.Labels["refreshed"] != "yes" {
		t.Errorf("answered %v %v; want the refreshed Application", got.Annotations, got.Labels)
	}
}

// A refresh may wait longer than the server's write timeout, and is
// still answered.
func TestApplicationGetRefreshOutlastsWriteTimeout(t *testing.T) {
	s := newTestServer(t)
	admin := s.loginAdmin(t)
	createApps(t, s, appIn(s, "slow", "", "https://git.example.com/a"))
	const timeout = 50 * time.Millisecond
	srv := httptest.NewUnstartedServer(s.API.Handler())
	srv.Config.WriteTimeout = timeout
	srv.Start()
	t.Cleanup(srv.Close)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/api/v1/applications/slow?refresh=normal", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+admin)
	sent := time.Now()
	answer := make(chan error, 1)
	go func() {
		resp, err := srv.Client().Do(req)
		if err == nil {
			defer resp.Body.Close()
			if _, err = io.ReadAll(resp.Body); err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
		}
		answer <- err
	}()
	eventually(t, "the refresh annotation, past the write timeout", func(context.Context) (bool, error) {
		_, asked := stored(t, s, "slow").Annotations[v1alpha1.AnnotationRefresh]
		return asked && time.Since(sent) > 2*timeout, nil
	})
	app := stored(t, s, "slow")
	patch := client.MergeFrom(app.DeepCopy())
	delete(app.Annotations, v1alpha1.AnnotationRefresh)
	if err := s.Client.Patch(t.Context(), app, patch); err != nil {
		t.Fatal(err)
	}
	if err := <-answer; err != nil {
		t.Errorf("a refresh that outlasted the write timeout: %v", err)
	}
}
