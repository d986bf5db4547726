package application

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// A commit that changes one object in each of some automated
// Applications of a repository costs each changed one an apply and a
// status write, and each untouched one at most the status write that
// records the new revision (docs/performance.md, request budgets).
func TestCommitCostsEachChangedAppTwoRequests(t *testing.T) {
	cl, requests := startCountingController(t)
	const apps, changed = 4, 2
	name := func(i int) string { return fmt.Sprintf("costmany%d", i) }
	files := map[string]string{}
	for i := range apps {
		for j := range 3 {
			files[fmt.Sprintf("%s/cm%d.yaml", name(i), j)] = configMap(fmt.Sprintf("cm%d", j), "1")
		}
	}
	repo := gitserver.NewRepo(t, t.TempDir(), "costmany")
	repo.Commit(t, "main", files, "three ConfigMaps per app")
	repo.SetHead(t, "main")
	for i := range apps {
		app := seedApp(name(i), repo.URL(), name(i))
		app.Spec.Source.Path = name(i)
		if err := cl.Create(context.Background(), app); err != nil {
			t.Fatal(err)
		}
	}
	synced := func(i int) bool {
		a := appStatus(t, cl, name(i))
		return a.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && a.Status.Health.Status == v1alpha1.HealthStatusHealthy &&
			a.Status.OperationState != nil && a.Status.OperationState.Phase == v1alpha1.OperationSucceeded
	}
	waitFor(t, "all Synced", func(ctx context.Context) (bool, error) {
		for i := range apps {
			if !synced(i) {
				return false, nil
			}
		}
		return true, nil
	})
	first := appStatus(t, cl, name(0)).Status.Sync.Revision
	started := map[int]string{}
	for i := changed; i < apps; i++ {
		started[i] = appStatus(t, cl, name(i)).Status.OperationState.StartedAt.String()
	}
	requests.waitQuiet()

	before := requests.n.Load()
	change := map[string]string{}
	for i := range changed {
		change[fmt.Sprintf("%s/cm1.yaml", name(i))] = configMap("cm1", "2")
	}
	repo.Commit(t, "main", change, "change one object of some apps")
	waitFor(t, "the changes applied and recorded", func(ctx context.Context) (bool, error) {
		for i := range apps {
			a := appStatus(t, cl, name(i))
			if a.Status.Sync.Revision == first || a.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced {
				return false, nil
			}
			if i < changed && a.Status.OperationState.SyncResult.Revision != a.Status.Sync.Revision {
				return false, nil
			}
		}
		return true, nil
	})
	time.Sleep(2 * time.Second) // any pass the writes bring about
	made := requests.since(before)
	per := map[string][]string{}
	for _, req := range made {
		owner := "other"
		for i := range apps {
			if strings.Contains(req, "/namespaces/"+name(i)+"/") || strings.Contains(req, "/applications/"+name(i)) {
				owner = name(i)
			}
		}
		per[owner] = append(per[owner], req)
	}
	for i := range apps {
		want := 1 // the status write of the new revision
		if i < changed {
			want = 2 // and the apply
		}
		if got := per[name(i)]; len(got) > want {
			t.Errorf("%s cost %d API requests, want ≤ %d:\n%s", name(i), len(got), want, strings.Join(got, "\n"))
		}
	}
	for i := changed; i < apps; i++ {
		if got := appStatus(t, cl, name(i)).Status.OperationState.StartedAt.String(); got != started[i] {
			t.Errorf("%s, untouched by the commit, started an operation at %s", name(i), got)
		}
	}
	if got := per["other"]; len(got) > 0 {
		t.Errorf("%d API requests for no app:\n%s", len(got), strings.Join(got, "\n"))
	}
	t.Logf("%d apps, %d changed: %d API requests:\n%s", apps, changed, len(made), strings.Join(made, "\n"))
}
