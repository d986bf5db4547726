package application

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// A failed automated sync is retried as syncPolicy.retry says: until it
// succeeds, or until the limit is spent.
func TestRetryFailedSync(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	// The ConfigMap goes to a namespace nobody has created yet.
	elsewhere := func(ns string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: elsewhere\n  namespace: " + ns + "\ndata: {a: b}\n"
	}
	retry := &v1alpha1.RetryStrategy{Limit: 2, Backoff: &v1alpha1.Backoff{Duration: "1s", Factor: ptr.To[int64](1)}}
	for _, name := range []string{"retry-fixed", "retry-spent"} {
		repo := gitserver.NewRepo(t, t.TempDir(), name)
		repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": elsewhere(name + "-target")}, "cm")
		repo.SetHead(t, "main")
		app := seedApp(name, repo.URL(), name)
		app.Spec.SyncPolicy.Retry = retry
		if err := cl.Create(ctx, app); err != nil {
			t.Fatal(err)
		}
	}

	waitFor(t, "a retry to be scheduled", func(ctx context.Context) (bool, error) {
		os := operation(t, appStatus(t, cl, "retry-fixed"))
		return os.Phase == v1alpha1.OperationRunning && strings.HasPrefix(os.Message, "retrying attempt #"), nil
	})
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "retry-fixed-target"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a retry to succeed once the namespace exists", func(ctx context.Context) (bool, error) {
		os := operation(t, appStatus(t, cl, "retry-fixed"))
		return os.Phase == v1alpha1.OperationSucceeded && os.RetryCount >= 1, nil
	})
	if _, err := cs.CoreV1().ConfigMaps("retry-fixed-target").Get(ctx, "elsewhere", metav1.GetOptions{}); err != nil {
		t.Errorf("the retried sync did not apply the ConfigMap: %v", err)
	}

	waitFor(t, "the retries to be spent", func(ctx context.Context) (bool, error) {
		os := operation(t, appStatus(t, cl, "retry-spent"))
		return os.Phase == v1alpha1.OperationFailed, nil
	})
	if os := operation(t, appStatus(t, cl, "retry-spent")); os.RetryCount != 2 || !strings.Contains(os.Message, "retry-spent-target") {
		t.Errorf("after the limit: retryCount %d (want 2), message %q (want the namespace named)", os.RetryCount, os.Message)
	}
}
