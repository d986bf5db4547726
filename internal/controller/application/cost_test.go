package application

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// A commit that changes one object of an Application in sync costs one
// apply and one status write (DESIGN.md: API calls per sync ≤ objects
// changed + 1 status write).
func TestSyncCostsTheChangedObjectsAndOneStatusWrite(t *testing.T) {
	cl, requests := startCountingController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	configMap := func(name, value string) string {
		return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata: {v: %q}\n", name, value)
	}
	files := map[string]string{}
	for i := range 5 {
		files[fmt.Sprintf("guestbook/cm%d.yaml", i)] = configMap(fmt.Sprintf("cm%d", i), "1")
	}
	repo := gitserver.NewRepo(t, t.TempDir(), "cost")
	repo.Commit(t, "main", files, "five ConfigMaps")
	repo.SetHead(t, "main")
	if err := cl.Create(context.Background(), seedApp("cost", repo.URL(), "cost")); err != nil {
		t.Fatal(err)
	}
	var synced string
	waitFor(t, "Synced", func(ctx context.Context) (bool, error) {
		a := appStatus(t, cl, "cost")
		synced = a.Status.Sync.Revision
		return a.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && a.Status.OperationState != nil && a.Status.OperationState.Phase == v1alpha1.OperationSucceeded, nil
	})
	// Quiet first: the passes that follow the first sync settle.
	for quiet := 0; quiet < 2; {
		before := requests.n.Load()
		time.Sleep(1500 * time.Millisecond)
		if requests.n.Load() == before {
			quiet++
		}
	}

	before := requests.n.Load()
	repo.Commit(t, "main", map[string]string{"guestbook/cm2.yaml": configMap("cm2", "2")}, "change one")
	waitFor(t, "the change applied and recorded", func(ctx context.Context) (bool, error) {
		a := appStatus(t, cl, "cost")
		return a.Status.Sync.Revision != synced && a.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced &&
			a.Status.OperationState.SyncResult.Revision == a.Status.Sync.Revision, nil
	})
	time.Sleep(2 * time.Second) // any pass the writes bring about
	made := requests.since(before)
	cm, err := cs.CoreV1().ConfigMaps("cost").Get(context.Background(), "cm2", metav1.GetOptions{})
	if err != nil || cm.Data["v"] != "2" {
		t.Fatalf("cm2 not changed: %v", err)
	}
	if len(made) > 2 {
		t.Errorf("one changed object cost %d API requests, want ≤ 2 (1 apply + 1 status write):\n%s", len(made), strings.Join(made, "\n"))
	}
	t.Logf("one changed object: %d API requests: %v", len(made), made)
}
