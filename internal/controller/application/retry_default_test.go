package application

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// An automated sync of an Application without syncPolicy.retry is retried
// as Argo CD retries it: up to five times, the first after 5 s.
func TestAutomatedSyncRetriesByDefault(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	repo := gitserver.NewRepo(t, t.TempDir(), "retry-default")
	repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: elsewhere\n  namespace: retry-default-target\ndata: {a: b}\n"}, "cm")
	repo.SetHead(t, "main")
	app := seedApp("retry-default", repo.URL(), "retry-default")
	app.Spec.SyncPolicy.Retry = nil
	if err := cl.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a retry to be scheduled", func(ctx context.Context) (bool, error) {
		os := operation(t, appStatus(t, cl, "retry-default"))
		return os.Phase == v1alpha1.OperationRunning && os.FinishedAt != nil, nil
	})
	os := operation(t, appStatus(t, cl, "retry-default"))
	if os.Operation.Retry.Limit != 5 || !strings.HasPrefix(os.Message, "retrying attempt #1 in 5s: ") {
		t.Errorf("the failed automated sync: retry %+v, message %q; want limit 5 and attempt #1 in 5s", os.Operation.Retry, os.Message)
	}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "retry-default-target"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the retry to succeed once the namespace exists", func(ctx context.Context) (bool, error) {
		os := operation(t, appStatus(t, cl, "retry-default"))
		return os.Phase == v1alpha1.OperationSucceeded && os.RetryCount == 1, nil
	})
}
