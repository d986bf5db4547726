package cli

import (
	"context"
	"os"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }

// TestControllerCommandSyncsAnApplication runs `capstan controller` as a
// user would, with a kubeconfig and the settings ConfigMap, and waits for
// the article's kind of Application to converge.
func TestControllerCommandSyncsAnApplication(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = v1alpha1.AddToScheme(scheme)
	cl, err := client.New(env.Config(), client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "argocd"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "argocd-cm", Namespace: "argocd"}, Data: map[string]string{"timeout.reconciliation": "2s"}},
	} {
		if err := cl.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	repo := gitserver.NewRepo(t, t.TempDir(), "apps")
	repo.Commit(t, "main", guestbook, "guestbook")
	repo.SetHead(t, "main")
	app := &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: "guestbook", Namespace: "argocd"},
		Spec: v1alpha1.ApplicationSpec{
			Project:     "default",
			Source:      &v1alpha1.ApplicationSource{RepoURL: repo.URL(), TargetRevision: "HEAD", Path: "guestbook"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "guestbook"},
			SyncPolicy:  &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{Prune: true}, SyncOptions: []string{"CreateNamespace=true"}},
		},
	}
	if err := cl.Create(ctx, app); err != nil {
		t.Fatal(err)
	}

	runCtx, stop := context.WithCancel(ctx)
	cmd := NewRootCommand()
	cmd.SetArgs([]string{"controller", "--kubeconfig", env.Cluster.Kubeconfig, "--namespace", "argocd",
		"--metrics-bind-address", "127.0.0.1:0", "--health-probe-bind-address", "127.0.0.1:0", "--cache-dir", t.TempDir()})
	exited := make(chan error, 1)
	go func() { exited <- cmd.ExecuteContext(runCtx) }()

	got := &v1alpha1.Application{}
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		if err := cl.Get(ctx, client.ObjectKeyFromObject(app), got); err != nil {
			return false, err
		}
		return got.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && got.Status.Health.Status == v1alpha1.HealthStatusHealthy, nil
	})
	if err != nil {
		t.Fatalf("the Application did not become Synced and Healthy: %v; status %+v", err, got.Status)
	}
	lease := &coordinationv1.Lease{}
	if err := cl.Get(ctx, client.ObjectKey{Namespace: "argocd", Name: "capstan-controller"}, lease); err != nil {
		t.Errorf("no leader-election Lease: %v", err)
	}
	stop()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("capstan controller ended with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("capstan controller did not stop after its context ended")
	}
}
