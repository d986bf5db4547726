package application

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// TestPruneConfirmHoldsTheSync follows Argo CD's Prune=confirm without
// self-heal: the sync of a commit that drops a Prune=confirm object stops
// before that prune and says so (the operation is not a success while the
// prune is held), and the deletion-approved annotation lets that same sync
// finish, pruning the object, with one history entry for the revision.
func TestPruneConfirmHoldsTheSync(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	repo := gitserver.NewRepo(t, t.TempDir(), "apps")
	repo.Commit(t, "main", map[string]string{
		"guestbook/keep.yaml":   configMapYAML("keep", nil),
		"guestbook/doomed.yaml": configMapYAML("doomed", map[string]string{v1alpha1.AnnotationSyncOptions: "Prune=confirm"}),
	}, "two ConfigMaps")
	repo.SetHead(t, "main")
	app := seedApp("confirm-held", repo.URL(), "confirm-held")
	app.Spec.SyncPolicy.Automated.SelfHeal = false
	if err := cl.Create(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	waitSynced(t, cl, app.Name, repo.RevParse(t, "main"))

	second := repo.Commit(t, "main", map[string]string{"guestbook/doomed.yaml": ""}, "drop the doomed ConfigMap")
	var op *v1alpha1.OperationState
	waitFor(t, "the sync of the new revision to end or stop for the approval", func(ctx context.Context) (bool, error) {
		op = appStatus(t, cl, app.Name).Status.OperationState
		return op != nil && op.SyncResult != nil && op.SyncResult.Revision == second &&
			(op.Phase != v1alpha1.OperationRunning || strings.Contains(strings.ToLower(op.Message), "confirm")), nil
	})
	if _, err := cs.CoreV1().ConfigMaps("confirm-held").Get(context.Background(), "doomed", metav1.GetOptions{}); err != nil {
		t.Fatalf("the Prune=confirm ConfigMap was pruned without approval: %v", err)
	}
	msg := strings.ToLower(op.Message)
	if op.Phase == v1alpha1.OperationSucceeded || !strings.Contains(msg, "confirm") || !strings.Contains(msg, "doomed") {
		t.Errorf("while the prune of doomed awaits approval, the operation is %s: %q; want it held (Running, as Argo CD) with a message naming the object and the confirmation", op.Phase, op.Message)
	}

	updateApp(t, cl, app.Name, func(a *v1alpha1.Application) {
		if a.Annotations == nil {
			a.Annotations = map[string]string{}
		}
		a.Annotations[AnnotationDeletionApproved] = time.Now().UTC().Format(time.RFC3339)
	})
	waitFor(t, "the approved prune", func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ConfigMaps("confirm-held").Get(ctx, "doomed", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	waitSynced(t, cl, app.Name, second)
	a := appStatus(t, cl, app.Name)
	if op := a.Status.OperationState; op.Phase != v1alpha1.OperationSucceeded {
		t.Errorf("after the approved prune the operation is %s: %s", op.Phase, op.Message)
	}
	n := 0
	for _, h := range a.Status.History {
		if h.Revision == second {
			n++
		}
	}
	if n != 1 {
		t.Errorf("history holds %d entries for revision %s, want 1", n, second)
	}
}
