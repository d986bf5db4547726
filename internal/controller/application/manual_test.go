package application

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// A sync requested through the operation field (what `argocd app sync`
// writes) runs once, as asked: a dry run changes nothing, a sync of chosen
// resources touches only those, a full sync records its initiator.
func TestRequestedSyncOperations(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	repo := gitserver.NewRepo(t, t.TempDir(), "manual")
	repo.Commit(t, "main", map[string]string{
		"guestbook/one.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\ndata: {n: \"1\"}\n",
		"guestbook/two.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: two\ndata: {n: \"2\"}\n",
	}, "two ConfigMaps")
	repo.SetHead(t, "main")
	app := seedApp("manual", repo.URL(), "manual")
	app.Spec.SyncPolicy.Automated = nil
	if err := cl.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the Application to be compared OutOfSync", func(ctx context.Context) (bool, error) {
		return appStatus(t, cl, "manual").Status.Sync.Status == v1alpha1.SyncStatusCodeOutOfSync, nil
	})
	exists := func(name string) bool {
		_, err := cs.CoreV1().ConfigMaps("manual").Get(ctx, name, metav1.GetOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		return err == nil
	}
	request := func(op v1alpha1.Operation, what string) *v1alpha1.Application {
		t.Helper()
		updateApp(t, cl, "manual", func(a *v1alpha1.Application) { a.Operation = &op })
		var got *v1alpha1.Application
		waitFor(t, what, func(ctx context.Context) (bool, error) {
			got = appStatus(t, cl, "manual")
			os := got.Status.OperationState
			return got.Operation == nil && os != nil && os.Phase.Completed() && equalOp(os.Operation, op), nil
		})
		return got
	}

	dry := request(v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{DryRun: true, SyncOptions: []string{"CreateNamespace=true"}}, InitiatedBy: v1alpha1.OperationInitiator{Username: "alice"}}, "a dry run")
	if dry.Status.OperationState.Phase != v1alpha1.OperationSucceeded || len(dry.Status.History) != 0 || exists("one") {
		t.Errorf("dry run: phase %s (%s), %d history entries, ConfigMap one exists %v; want Succeeded, none, false",
			dry.Status.OperationState.Phase, dry.Status.OperationState.Message, len(dry.Status.History), exists("one"))
	}

	only := request(v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Resources: []v1alpha1.SyncOperationResource{{Kind: "ConfigMap", Name: "two"}}},
		InitiatedBy: v1alpha1.OperationInitiator{Username: "alice"}}, "a sync of one resource")
	if only.Status.OperationState.Phase != v1alpha1.OperationSucceeded || !exists("two") || exists("one") {
		t.Errorf("selective sync: phase %s (%s), two exists %v, one exists %v; want only two",
			only.Status.OperationState.Phase, only.Status.OperationState.Message, exists("two"), exists("one"))
	}

	full := request(v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}, InitiatedBy: v1alpha1.OperationInitiator{Username: "bob"}}, "a full sync")
	if !exists("one") || !exists("two") {
		t.Error("the full sync did not apply both ConfigMaps")
	}
	h := full.Status.History
	if len(h) == 0 || h[len(h)-1].InitiatedBy.Username != "bob" || h[len(h)-1].Revision != full.Status.Sync.Revision {
		t.Errorf("history does not record bob's sync of %s: %+v", full.Status.Sync.Revision, h)
	}
	waitFor(t, "Synced after the full sync", func(ctx context.Context) (bool, error) {
		return appStatus(t, cl, "manual").Status.Sync.Status == v1alpha1.SyncStatusCodeSynced, nil
	})
}

func equalOp(a, b v1alpha1.Operation) bool {
	return a.InitiatedBy == b.InitiatedBy && a.Sync != nil && b.Sync != nil && a.Sync.DryRun == b.Sync.DryRun && len(a.Sync.Resources) == len(b.Sync.Resources)
}
