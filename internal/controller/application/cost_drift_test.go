package application

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// A drifted object of a self-healing Application is healed with the
// requests it needs: its read, the apply that reverts it and one status
// write, with no dry run: the fields capstan no longer owns tell the drift
// (ownedFields). A change by another writer to fields capstan does not set
// costs the read alone (docs/performance.md, request budgets).
func TestDriftHealCostsItsRequests(t *testing.T) {
	cl, requests := startCountingController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	syncedConfigMaps(t, cl, requests, "costdrift", 3)
	started := appStatus(t, cl, "costdrift").Status.OperationState.StartedAt

	edit := func(patch string) {
		t.Helper()
		if _, err := cs.CoreV1().ConfigMaps("costdrift").Patch(context.Background(), "cm1", types.MergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
			t.Fatal(err)
		}
	}
	before := requests.n.Load()
	edit(`{"data":{"v":"drifted"}}`)
	waitFor(t, "the drift healed", func(ctx context.Context) (bool, error) {
		cm, err := cs.CoreV1().ConfigMaps("costdrift").Get(ctx, "cm1", metav1.GetOptions{})
		return err == nil && cm.Data["v"] == "1", err
	})
	time.Sleep(2 * time.Second) // any pass the heal brings about
	made := requests.since(before)
	want := []string{
		"GET /api/v1/namespaces/costdrift/configmaps/cm1",
		"PATCH /api/v1/namespaces/costdrift/configmaps/cm1?fieldManager=capstan&fieldValidation=Strict&force=true",
		"PATCH /apis/argoproj.io/v1alpha1/namespaces/argocd/applications/costdrift/status",
	}
	if diff := cmp.Diff(want, made); diff != "" {
		t.Errorf("the requests of a heal (-want +got):\n%s", diff)
	}
	healed := appStatus(t, cl, "costdrift").Status.OperationState
	if healed.StartedAt.Equal(&started) || !healed.Operation.InitiatedBy.Automated || healed.Phase != v1alpha1.OperationSucceeded {
		t.Errorf("the heal is not recorded as an automated operation: %+v", healed)
	}

	// Another writer's own fields are no drift: read, and nothing else.
	requests.waitQuiet()
	before = requests.n.Load()
	edit(`{"metadata":{"annotations":{"other":"x"}},"data":{"other":"x"}}`)
	time.Sleep(3 * time.Second) // the pass the watch event brings about
	made = requests.since(before)
	if diff := cmp.Diff(want[:1], made); diff != "" {
		t.Errorf("the requests after another writer's change (-want +got):\n%s", diff)
	}
	if a := appStatus(t, cl, "costdrift"); a.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced || !a.Status.OperationState.StartedAt.Equal(&healed.StartedAt) {
		t.Errorf("another writer's change: sync %s, operation started %s, want Synced and no new operation", a.Status.Sync.Status, a.Status.OperationState.StartedAt)
	}
}
