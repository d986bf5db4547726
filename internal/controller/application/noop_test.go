package application

import (
	"context"
	"testing"
	"time"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// TestNoOpReconcileIsFree lets an Application in sync be reconciled again
// and again (the poll is one second) and counts the API requests the
// controller makes meanwhile: none, and no status write.
func TestNoOpReconcileIsFree(t *testing.T) {
	cl, requests := startCountingController(t)
	repo := gitserver.NewRepo(t, t.TempDir(), "apps")
	repo.Commit(t, "main", map[string]string{
		"guestbook/deployment.yaml": deploymentYAML("idle-web", "registry.invalid/web:1", 1),
		"guestbook/service.yaml":    serviceYAML,
	}, "idle")
	repo.SetHead(t, "main")
	if err := cl.Create(context.Background(), seedApp("idle", repo.URL(), "idle")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Synced and Healthy", func(ctx context.Context) (bool, error) {
		a := appStatus(t, cl, "idle")
		return a.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && a.Status.Health.Status == v1alpha1.HealthStatusHealthy, nil
	})
	if requests.n.Load() == 0 {
		t.Fatal("no request was counted during the sync: the counter does not see the controller's requests")
	}
	// Let the reconciles that follow the sync settle.
	settled := appStatus(t, cl, "idle").ResourceVersion
	for i := 0; ; i++ {
		before := requests.n.Load()
		time.Sleep(3 * time.Second) // three polls, observed rather than waited for
		rv := appStatus(t, cl, "idle").ResourceVersion
		made := requests.n.Load() - before
		if made == 0 && rv == settled {
			t.Logf("3s of polls in sync: %d API requests, no status write", made)
			return
		}
		if i == 3 {
			t.Fatalf("an Application in sync still costs %d API requests per 3s (status resourceVersion %s → %s)", made, settled, rv)
		}
		settled = rv
	}
}
