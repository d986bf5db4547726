package application

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// An Application annotated argocd.argoproj.io/skip-reconcile: "true" is
// left alone, status and all, while another on the same repository moves
// on; without the annotation it catches up.
func TestSkipReconcile(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	repo := gitserver.NewRepo(t, t.TempDir(), "skip")
	first := repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": configMapYAML("skip", nil)}, "first")
	repo.SetHead(t, "main")

	paused := seedApp("skip-paused", repo.URL(), "skip-paused")
	if err := cl.Create(ctx, paused); err != nil {
		t.Fatal(err)
	}
	newborn := seedApp("skip-newborn", repo.URL(), "skip-newborn")
	newborn.Annotations = map[string]string{v1alpha1.AnnotationSkipReconcile: "true"}
	if err := cl.Create(ctx, newborn); err != nil {
		t.Fatal(err)
	}
	if err := cl.Create(ctx, seedApp("skip-control", repo.URL(), "skip-control")); err != nil {
		t.Fatal(err)
	}
	waitSynced(t, cl, "skip-paused", first)
	updateApp(t, cl, "skip-paused", func(a *v1alpha1.Application) {
		a.Annotations = map[string]string{v1alpha1.AnnotationSkipReconcile: "true", v1alpha1.AnnotationRefresh: "hard"}
	})
	// The cache shows the annotation once the controller has it too.
	waitFor(t, "the controller to see the annotation", func(ctx context.Context) (bool, error) {
		return appStatus(t, cl, "skip-paused").Annotations[v1alpha1.AnnotationSkipReconcile] == "true", nil
	})
	second := repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": configMapYAML("skip", map[string]string{"round": "2"})}, "second")
	waitSynced(t, cl, "skip-control", second)

	if a := appStatus(t, cl, "skip-newborn"); a.Status.Sync.Status != "" || a.Status.ReconciledAt != nil {
		t.Errorf("a new Application that skips reconciles got a status: %+v", a.Status.Sync)
	}
	if _, err := cs.CoreV1().Namespaces().Get(ctx, "skip-newborn", metav1.GetOptions{}); err == nil {
		t.Error("a new Application that skips reconciles was synced")
	}
	a := appStatus(t, cl, "skip-paused")
	if a.Status.Sync.Revision != first {
		t.Errorf("the paused Application moved to %s", a.Status.Sync.Revision)
	}
	if a.Annotations[v1alpha1.AnnotationRefresh] != "hard" {
		t.Error("the paused Application's refresh request was taken")
	}
	if cm, err := cs.CoreV1().ConfigMaps("skip-paused").Get(ctx, "skip", metav1.GetOptions{}); err != nil || cm.Annotations["round"] != "" {
		t.Errorf("the paused Application's ConfigMap was synced: %v, %v", cm.Annotations, err)
	}

	updateApp(t, cl, "skip-paused", func(a *v1alpha1.Application) { a.Annotations[v1alpha1.AnnotationSkipReconcile] = "false" })
	waitSynced(t, cl, "skip-paused", second)
}
