package application

import (
	"testing"
	"time"
)

// TestNoOpReconcileIsFree lets an Application in sync be reconciled again
// and again (the poll is one second) and counts the API requests the
// controller makes meanwhile: none, and no status write.
func TestNoOpReconcileIsFree(t *testing.T) {
	cl, requests := startCountingController(t)
	healthyApp(t, cl, "idle", map[string]string{
		"guestbook/deployment.yaml": deploymentYAML("idle-web", "registry.invalid/web:1", 1),
		"guestbook/service.yaml":    serviceYAML,
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
