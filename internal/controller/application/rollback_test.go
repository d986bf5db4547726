package application

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/sync"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// requestSync writes op as the Application's operation and waits for it
// to end; it returns the Application as it then is.
func requestSync(t *testing.T, cl client.Client, name string, op v1alpha1.Operation, what string) *v1alpha1.Application {
	t.Helper()
	updateApp(t, cl, name, func(a *v1alpha1.Application) { a.Operation = &op })
	var got *v1alpha1.Application
	waitFor(t, what, func(context.Context) (bool, error) {
		got = appStatus(t, cl, name)
		os := got.Status.OperationState
		return got.Operation == nil && os != nil && os.Phase.Completed() && os.Operation.InitiatedBy == op.InitiatedBy &&
			os.Operation.Sync.Revision == op.Sync.Revision && (os.Operation.Sync.SyncStrategy != nil) == (op.Sync.SyncStrategy != nil), nil
	})
	return got
}

// A sync names any revision (here an older tag) other than targetRevision,
// and syncs it; a rollback syncs a history entry's revision and source
// without running hooks, and leaves the Application OutOfSync with its
// target.
func TestSyncToATagAndRollback(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	repo := gitserver.NewRepo(t, t.TempDir(), "rollback")
	hook := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pre\n  annotations: {argocd.argoproj.io/hook: PreSync}\n"
	old := repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": configMapYAML("release", map[string]string{"v": "1"}), "guestbook/pre.yaml": hook}, "v1")
	repo.Tag(t, "v1.0.0", "main", false)
	latest := repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": configMapYAML("release", map[string]string{"v": "2"})}, "v2")
	repo.SetHead(t, "main")
	app := seedApp("rollback", repo.URL(), "rollback")
	app.Spec.SyncPolicy.Automated = nil
	if err := cl.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	release := func() string {
		cm, err := cs.CoreV1().ConfigMaps("rollback").Get(ctx, "release", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return ""
		} else if err != nil {
			t.Fatal(err)
		}
		return cm.Annotations["v"]
	}
	user := v1alpha1.OperationInitiator{Username: "alice"}

	got := requestSync(t, cl, "rollback", v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: "v1.0.0"}, InitiatedBy: user}, "a sync to the tag")
	if os := got.Status.OperationState; os.Phase != v1alpha1.OperationSucceeded || os.SyncResult.Revision != old || release() != "1" {
		t.Fatalf("sync to tag v1.0.0: %s %q at %s, release %q; want Succeeded at %s, release 1", os.Phase, os.Message, os.SyncResult.Revision, release(), old)
	}
	got = requestSync(t, cl, "rollback", v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}, InitiatedBy: user}, "a sync to the target")
	if os := got.Status.OperationState; os.Phase != v1alpha1.OperationSucceeded || os.SyncResult.Revision != latest || release() != "2" {
		t.Fatalf("sync to HEAD: %s %q at %s, release %q", os.Phase, os.Message, os.SyncResult.Revision, release())
	}
	pre, err := cs.CoreV1().ConfigMaps("rollback").Get(ctx, "pre", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	op, err := sync.Rollback(got, got.Status.History[0].ID, false, false, "alice")
	if err != nil {
		t.Fatal(err)
	}
	got = requestSync(t, cl, "rollback", op, "the rollback")
	os := got.Status.OperationState
	if os.Phase != v1alpha1.OperationSucceeded || os.SyncResult.Revision != old || release() != "1" {
		t.Fatalf("rollback: %s %q at %s, release %q; want Succeeded at %s, release 1", os.Phase, os.Message, os.SyncResult.Revision, release(), old)
	}
	if h := got.Status.History; len(h) != 3 || h[2].Revision != old {
		t.Errorf("history after the rollback: %+v", h)
	}
	if again, err := cs.CoreV1().ConfigMaps("rollback").Get(ctx, "pre", metav1.GetOptions{}); err != nil || again.UID != pre.UID || resultOf(os, "ConfigMap", "pre") != nil {
		t.Errorf("the rollback ran the PreSync hook (err %v)", err)
	}
	waitFor(t, "OutOfSync with the target revision after the rollback", func(context.Context) (bool, error) {
		a := appStatus(t, cl, "rollback")
		return a.Status.Sync.Status == v1alpha1.SyncStatusCodeOutOfSync && a.Status.Sync.Revision == latest, nil
	})
}

// Terminating an operation (what `argocd app terminate-op` does) deletes
// the hook it runs and ends it Failed, "Operation terminated".
func TestTerminateDeletesRunningHook(t *testing.T) {
	const group = "terminate.hooks.capstan.dev"
	installCRD(t, group, "Check", "checks")
	cl := startController(t)
	ctx := context.Background()
	repo := gitserver.NewRepo(t, t.TempDir(), "terminate")
	repo.Commit(t, "main", map[string]string{"guestbook/forever.yaml": checkYAML(group, "forever", "Sync", "Unknown", ""), "guestbook/cm.yaml": configMapYAML("app", nil)}, "a hook that never ends")
	repo.SetHead(t, "main")
	if err := cl.Create(ctx, seedApp("terminate", repo.URL(), "terminate")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the operation to wait for the hook", func(context.Context) (bool, error) {
		os := operation(t, appStatus(t, cl, "terminate"))
		rr := resultOf(os, "Check", "forever")
		return os.Phase == v1alpha1.OperationRunning && rr != nil && rr.HookPhase == v1alpha1.OperationRunning, nil
	})
	direct := directClient(t)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		a := &v1alpha1.Application{}
		if err := direct.Get(ctx, client.ObjectKey{Namespace: controlPlane, Name: "terminate"}, a); err != nil {
			return err
		}
		a.Status.OperationState.Phase = v1alpha1.OperationTerminating
		return direct.Status().Update(ctx, a)
	})
	if err != nil {
		t.Fatal(err)
	}
	var os *v1alpha1.OperationState
	waitFor(t, "the operation to end", func(context.Context) (bool, error) {
		os = operation(t, appStatus(t, cl, "terminate"))
		return os.Phase.Completed(), nil
	})
	if os.Phase != v1alpha1.OperationFailed || os.Message != sync.MessageTerminated {
		t.Errorf("terminated operation: %s %q, want Failed %q", os.Phase, os.Message, sync.MessageTerminated)
	}
	waitFor(t, "the running hook deleted", func(context.Context) (bool, error) {
		_, err := dynamicChecks(t, group).Namespace("terminate").Get(ctx, "forever", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
}
