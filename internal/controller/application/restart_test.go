package application

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// TestRestartInSyncWritesNothing runs a controller until an Application is
// Synced and Healthy, stops it, and starts a new one (nothing remembered,
// caches empty): it fetches and compares everything again, and writes
// nothing, neither to the Application nor to its objects.
func TestRestartInSyncWritesNothing(t *testing.T) {
	srv, rev := guestbookServer(t, nil)
	const name = "restart"

	var settledRV string
	t.Run("first controller", func(t *testing.T) {
		cl, requests := startCountingController(t)
		if err := cl.Create(context.Background(), seedApp(name, srv.RepoURL("apps"), name)); err != nil {
			t.Fatal(err)
		}
		waitSynced(t, cl, name, rev)
		if requests.writes.Load() == 0 {
			t.Fatal("no write was counted during the sync: the counter does not see the controller's writes")
		}
		// Stop it only once it has written all it had to.
		for i := 0; ; i++ {
			before := requests.writes.Load()
			time.Sleep(2 * time.Second) // two polls, observed rather than waited for
			if requests.writes.Load() == before {
				break
			}
			if i == 5 {
				t.Fatalf("the first controller keeps writing: %v", requests.written())
			}
		}
		settledRV = appStatus(t, cl, name).ResourceVersion
	})
	if t.Failed() {
		return
	}

	fetches := srv.Counts("apps").Fetch
	cl, requests := startCountingController(t)
	waitFor(t, "the new controller to fetch the repository", func(context.Context) (bool, error) {
		return srv.Counts("apps").Fetch > fetches, nil
	})
	// The fetch starts the reconcile that compares; then several polls.
	time.Sleep(5 * time.Second) // observed rather than waited for
	var mine, others []string
	for _, w := range requests.written() {
		if concerns(w, name, name) {
			mine = append(mine, w)
		} else {
			others = append(others, w)
		}
	}
	if len(others) > 0 {
		t.Logf("writes for other tests' Applications, not counted: %v", others)
	}
	if requests.n.Load() == 0 {
		t.Fatal("no request was counted: the counter does not see the new controller's requests")
	}
	t.Logf("the new controller made %d API requests, %d of them dry runs", requests.n.Load(), requests.dryRuns.Load())
	if len(mine) > 0 {
		t.Errorf("a restart while in sync wrote %d times: %v", len(mine), mine)
	}
	a := appStatus(t, cl, name)
	if a.ResourceVersion != settledRV {
		t.Errorf("the Application changed after the restart (resourceVersion %s → %s): %+v", settledRV, a.ResourceVersion, a.Status)
	}
}

// concerns reports whether a write ("PATCH /apis/.../namespaces/ns/...")
// touches the Application app, the namespace ns it deploys to, or
// something outside any namespace or Application (which may be either):
// not the Applications other tests left behind, or their namespaces.
func concerns(write, app, ns string) bool {
	_, path, _ := strings.Cut(write, " ")
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i := 0; i+1 < len(segs); i++ {
		if segs[i] == "applications" {
			return segs[i+1] == app
		}
	}
	for i := 0; i+1 < len(segs); i++ {
		if segs[i] == "namespaces" {
			return segs[i+1] == ns || segs[i+1] == controlPlane
		}
	}
	return true
}

// guestbookServer serves a repository "apps" whose head holds the
// guestbook: a Deployment, a Service, and a ConfigMap with
// settingsAnnotations. It returns the server and the head's revision.
func guestbookServer(t *testing.T, settingsAnnotations map[string]string) (*gitserver.HTTPServer, string) {
	t.Helper()
	srv := gitserver.NewHTTP(t, gitserver.WithBasicAuth("", ""))
	repo := srv.NewRepo(t, "apps")
	repo.Commit(t, "main", map[string]string{
		"guestbook/deployment.yaml": deploymentYAML("guestbook-ui", "registry.invalid/guestbook:0.1", 1),
		"guestbook/service.yaml":    serviceYAML,
		"guestbook/settings.yaml":   configMapYAML("settings", settingsAnnotations),
	}, "guestbook")
	repo.SetHead(t, "main")
	return srv, repo.RevParse(t, "main")
}
