package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// TestGetRefreshAnswersTheNewRevision pushes commits to an Application's
// repository, with polls an hour apart and no webhook, and gets the
// Application with --hard-refresh, then --refresh: each answer already
// compares the commit just pushed, in that same response.
func TestGetRefreshAnswersTheNewRevision(t *testing.T) {
	s := newCLIServer(t, true)
	s.login(t)
	repo := gitserver.NewRepo(t, t.TempDir(), "refresh")
	first := repo.Commit(t, "main", map[string]string{"web/cm.yaml": webConfigMap}, "blue")
	repo.SetHead(t, "main")
	s.must(t, "app", "create", "refresh", "--repo", repo.URL(), "--path", "web", "--revision", "main",
		"--dest-server", "https://kubernetes.default.svc", "--dest-namespace", s.namespace)
	var stored v1alpha1.Application
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		err := s.direct.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: "refresh"}, &stored)
		return err == nil && stored.Status.Sync.Revision == first, client.IgnoreNotFound(err)
	})
	if err != nil {
		t.Fatalf("the Application was not compared at %s: %v; status %+v", first, err, stored.Status.Sync)
	}
	for i, flag := range []string{"--hard-refresh", "--refresh"} {
		color := []string{"green", "red"}[i]
		pushed := repo.Commit(t, "main", map[string]string{"web/cm.yaml": strings.Replace(webConfigMap, "blue", color, 1)}, color)
		out := s.must(t, "app", "get", "refresh", flag, "-o", "json")
		var got v1alpha1.Application
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("app get %s -o json: %v\n%s", flag, err, out)
		}
		if got.Status.Sync.Revision != pushed {
			t.Errorf("app get %s after a push: compared at %s, want %s", flag, got.Status.Sync.Revision, pushed)
		}
	}
}
