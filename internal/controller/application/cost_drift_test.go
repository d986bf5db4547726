package application

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// A drifted object of a self-healing Application is healed with the
// requests it needs: its read, the dry run that finds the drift, the apply
// that reverts it and one status write (docs/performance.md, request
// budgets).
func TestDriftHealCostsItsRequests(t *testing.T) {
	cl, requests := startCountingController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	syncedConfigMaps(t, cl, requests, "costdrift", 3)

	before := requests.n.Load()
	patch := []byte(`{"data":{"v":"drifted"}}`)
	if _, err := cs.CoreV1().ConfigMaps("costdrift").Patch(context.Background(), "cm1", types.MergePatchType, patch, metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the drift healed", func(ctx context.Context) (bool, error) {
		cm, err := cs.CoreV1().ConfigMaps("costdrift").Get(ctx, "cm1", metav1.GetOptions{})
		return err == nil && cm.Data["v"] == "1", err
	})
	time.Sleep(2 * time.Second) // any pass the heal brings about
	made := requests.since(before)
	var writes, statusWrites int
	for _, req := range made {
		if strings.HasPrefix(req, "PATCH ") && !strings.Contains(req, "dryRun") {
			writes++
			if strings.Contains(req, "/applications/") {
				statusWrites++
			}
		}
	}
	if writes-statusWrites != 1 || statusWrites > 1 || len(made) > 4 {
		t.Errorf("a heal cost %d API requests (%d applies, %d status writes), want 1 apply, ≤ 1 status write, ≤ 4 in all:\n%s",
			len(made), writes-statusWrites, statusWrites, strings.Join(made, "\n"))
	}
	t.Logf("one drifted object: %d API requests:\n%s", len(made), strings.Join(made, "\n"))
}
