package application

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// backendYAML is a wave-0 Deployment; with unschedulable set its Pod never
// starts, so it stays Progressing.
func backendYAML(unschedulable bool) string {
	selector := ""
	if unschedulable {
		selector = "      nodeSelector: {capstan.dev/nowhere: \"true\"}\n"
	}
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: backend
  annotations: {argocd.argoproj.io/sync-wave: "0"}
spec:
  replicas: 1
  progressDeadlineSeconds: 3600
  selector:
    matchLabels: {app: backend}
  template:
    metadata:
      labels: {app: backend}
    spec:
` + selector + `      containers:
      - name: backend
        image: backend:1
`
}

const wavesFiles = `apiVersion: v1
kind: ConfigMap
metadata:
  name: after-backend
  annotations: {argocd.argoproj.io/sync-wave: "1"}
data: {ready: "yes"}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    argocd.argoproj.io/hook: PreSync
    argocd.argoproj.io/hook-delete-policy: HookSucceeded
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: migrate:1
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: notify
  annotations: {argocd.argoproj.io/hook: PostSync}
data: {sent: "yes"}
`

func operation(t *testing.T, app *v1alpha1.Application) *v1alpha1.OperationState {
	t.Helper()
	if app.Status.OperationState == nil {
		return &v1alpha1.OperationState{}
	}
	return app.Status.OperationState
}

func resultOf(os *v1alpha1.OperationState, kind, name string) *v1alpha1.ResourceResult {
	if os.SyncResult == nil {
		return nil
	}
	for i, rr := range os.SyncResult.Resources {
		if rr.Kind == kind && rr.Name == name {
			return &os.SyncResult.Resources[i]
		}
	}
	return nil
}

// A wave waits, as a Running operation, for the wave before it to become
// healthy; hooks run before and after; a new commit takes over.
func TestWavesWaitForHealthAcrossPasses(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	repo := gitserver.NewRepo(t, t.TempDir(), "waves")
	repo.Commit(t, "main", map[string]string{"guestbook/backend.yaml": backendYAML(true), "guestbook/rest.yaml": wavesFiles}, "waves")
	repo.SetHead(t, "main")
	if err := cl.Create(ctx, seedApp("waves", repo.URL(), "waves")); err != nil {
		t.Fatal(err)
	}

	var os *v1alpha1.OperationState
	waitFor(t, "a Running operation waiting for the backend", func(ctx context.Context) (bool, error) {
		os = operation(t, appStatus(t, cl, "waves"))
		return os.Phase == v1alpha1.OperationRunning && strings.Contains(os.Message, "Deployment waves/backend"), nil
	})
	if rr := resultOf(os, "Job", "migrate"); rr == nil || rr.HookPhase != v1alpha1.OperationSucceeded || rr.SyncPhase != v1alpha1.SyncPhasePreSync {
		t.Errorf("the PreSync hook did not finish before wave 0: %+v", rr)
	}
	if rr := resultOf(os, "ConfigMap", "after-backend"); rr != nil {
		t.Errorf("wave 1 ran before wave 0 was healthy: %+v", rr)
	}
	if _, err := cs.CoreV1().ConfigMaps("waves").Get(ctx, "after-backend", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("wave 1's ConfigMap exists while wave 0 is Progressing (err %v)", err)
	}
	waitFor(t, "the succeeded hook to be deleted (HookSucceeded)", func(ctx context.Context) (bool, error) {
		_, err := cs.BatchV1().Jobs("waves").Get(ctx, "migrate", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})

	repo.Commit(t, "main", map[string]string{"guestbook/backend.yaml": backendYAML(false)}, "schedule the backend")
	waitFor(t, "the new revision's operation to run every wave and hook", func(ctx context.Context) (bool, error) {
		app := appStatus(t, cl, "waves")
		os = operation(t, app)
		return os.Phase == v1alpha1.OperationSucceeded && os.SyncResult.Revision == app.Status.Sync.Revision && len(app.Status.History) > 0, nil
	})
	for _, name := range []string{"after-backend", "notify"} {
		if _, err := cs.CoreV1().ConfigMaps("waves").Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("ConfigMap %s: %v", name, err)
		}
	}
	if rr := resultOf(os, "ConfigMap", "notify"); rr == nil || rr.SyncPhase != v1alpha1.SyncPhasePostSync || rr.HookPhase != v1alpha1.OperationSucceeded {
		t.Errorf("PostSync hook result: %+v", rr)
	}
	dep, err := cs.AppsV1().Deployments("waves").Get(ctx, "backend", metav1.GetOptions{})
	if err != nil || dep.Status.AvailableReplicas != 1 {
		t.Errorf("wave 0 is not available after the operation succeeded: %v", err)
	}
}

// A failed sync runs the SyncFail hooks.
func TestSyncFailHooksRunWhenASyncFails(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	repo := gitserver.NewRepo(t, t.TempDir(), "syncfail")
	repo.Commit(t, "main", map[string]string{
		"guestbook/settings.yaml": configMapWithTypo,
		"guestbook/on-failure.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: on-failure
  annotations: {argocd.argoproj.io/hook: SyncFail}
data: {alert: "sync failed"}
`}, "typo")
	repo.SetHead(t, "main")
	if err := cl.Create(context.Background(), seedApp("syncfail", repo.URL(), "syncfail")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the failed operation and its SyncFail hook", func(ctx context.Context) (bool, error) {
		os := operation(t, appStatus(t, cl, "syncfail"))
		if os.Phase != v1alpha1.OperationFailed {
			return false, nil
		}
		rr := resultOf(os, "ConfigMap", "on-failure")
		return rr != nil && rr.SyncPhase == v1alpha1.SyncPhaseSyncFail, nil
	})
	cm, err := cs.CoreV1().ConfigMaps("syncfail").Get(context.Background(), "on-failure", metav1.GetOptions{})
	if err != nil || cm.Data["alert"] != "sync failed" {
		t.Errorf("SyncFail hook not created: %v", err)
	}
	if _, err := cs.CoreV1().ConfigMaps("syncfail").Get(context.Background(), "settings", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the invalid object was applied (err %v)", err)
	}
}
