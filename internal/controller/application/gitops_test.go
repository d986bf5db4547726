package application

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

func deploymentYAML(name, image string, replicas int) string {
	return workloadYAML("Deployment", name, image, fmt.Sprintf("  replicas: %d\n", replicas))
}

const serviceYAML = `apiVersion: v1
kind: Service
metadata:
  name: guestbook-ui
spec:
  ports: [{port: 80, targetPort: 80}]
  selector: {app: guestbook-ui}
`

// seedApp is the article's Application, pointed at the test repository,
// with retries off (retry.limit 0) so that a failed sync ends at once:
// without syncPolicy.retry an automated sync is retried five times.
func seedApp(name, repoURL, namespace string) *v1alpha1.Application {
	return &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: controlPlane},
		Spec: v1alpha1.ApplicationSpec{
			Project:     "default",
			Source:      &v1alpha1.ApplicationSource{RepoURL: repoURL, TargetRevision: "HEAD", Path: "guestbook"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: namespace},
			SyncPolicy: &v1alpha1.SyncPolicy{
				Automated:   &v1alpha1.SyncPolicyAutomated{Prune: true, SelfHeal: true},
				SyncOptions: []string{"Validate=true", "CreateNamespace=true", "PrunePropagationPolicy=foreground", "PruneLast=true"},
				Retry:       &v1alpha1.RetryStrategy{},
			},
		},
	}
}

func waitFor(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// appStatus reads an Application through the controller's cache, waiting
// for the cache to have it.
func appStatus(t *testing.T, cl client.Client, name string) *v1alpha1.Application {
	t.Helper()
	app := &v1alpha1.Application{}
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		err := cl.Get(ctx, types.NamespacedName{Namespace: controlPlane, Name: name}, app)
		if apierrors.IsNotFound(err) || errors.As(err, new(*cache.ErrCacheNotStarted)) {
			// Not there yet, or the controller just started.
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		t.Fatalf("get Application %s: %v", name, err)
	}
	return app
}

// updateApp changes an Application as a user would, retrying when the
// controller wrote it in between.
func updateApp(t *testing.T, cl client.Client, name string, change func(*v1alpha1.Application)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		app := appStatus(t, cl, name)
		change(app)
		return cl.Update(context.Background(), app)
	})
	if err != nil {
		t.Fatalf("update Application %s: %v", name, err)
	}
}

func TestGitOpsLoop(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	srv := gitserver.NewHTTP(t, gitserver.WithBasicAuth("", ""))
	repo := srv.NewRepo(t, "apps")
	repo.Commit(t, "main", map[string]string{
		"guestbook/deployment.yaml": deploymentYAML("guestbook-ui", "registry.invalid/guestbook:0.1", 1),
		"guestbook/service.yaml":    serviceYAML,
	}, "guestbook")
	repo.SetHead(t, "main")

	app := seedApp("guestbook", srv.RepoURL("apps"), "guestbook")
	if err := cl.Create(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	synced := func(ctx context.Context) (bool, error) {
		a := appStatus(t, cl, "guestbook")
		return a.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && a.Status.Health.Status == v1alpha1.HealthStatusHealthy, nil
	}
	waitFor(t, "Synced and Healthy", synced)

	a := appStatus(t, cl, "guestbook")
	if len(a.Status.Resources) != 2 || len(a.Status.History) != 1 || a.Status.OperationState == nil || a.Status.OperationState.Phase != v1alpha1.OperationSucceeded {
		t.Errorf("status after the first sync: resources %+v, history %d, operation %+v", a.Status.Resources, len(a.Status.History), a.Status.OperationState)
	}
	if _, err := cs.CoreV1().Namespaces().Get(context.Background(), "guestbook", metav1.GetOptions{}); err != nil {
		t.Errorf("CreateNamespace did not create the namespace: %v", err)
	}

	t.Run("a commit is applied", func(t *testing.T) {
		repo.Commit(t, "main", map[string]string{"guestbook/deployment.yaml": deploymentYAML("guestbook-ui", "registry.invalid/guestbook:0.2", 1)}, "bump")
		waitFor(t, "the new image", func(ctx context.Context) (bool, error) {
			d, err := cs.AppsV1().Deployments("guestbook").Get(ctx, "guestbook-ui", metav1.GetOptions{})
			return err == nil && d.Spec.Template.Spec.Containers[0].Image == "registry.invalid/guestbook:0.2", nil
		})
	})

	t.Run("drift is healed", func(t *testing.T) {
		patch := []byte(`{"spec":{"replicas":3}}`)
		if _, err := cs.AppsV1().Deployments("guestbook").Patch(context.Background(), "guestbook-ui", types.MergePatchType, patch, metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "replicas reverted to 1", func(ctx context.Context) (bool, error) {
			d, err := cs.AppsV1().Deployments("guestbook").Get(ctx, "guestbook-ui", metav1.GetOptions{})
			return err == nil && *d.Spec.Replicas == 1, nil
		})
	})

	t.Run("a broken manifest changes nothing", func(t *testing.T) {
		repo.Commit(t, "main", map[string]string{"guestbook/deployment.yaml": "kind: [unclosed\n"}, "broken")
		waitFor(t, "a ComparisonError condition", func(ctx context.Context) (bool, error) {
			for _, c := range appStatus(t, cl, "guestbook").Status.Conditions {
				if c.Type == v1alpha1.ApplicationConditionComparisonError && strings.Contains(c.Message, "deployment.yaml") {
					return true, nil
				}
			}
			return false, nil
		})
		if _, err := cs.AppsV1().Deployments("guestbook").Get(context.Background(), "guestbook-ui", metav1.GetOptions{}); err != nil {
			t.Errorf("the Deployment is gone after a broken render: %v", err)
		}
		if _, err := cs.CoreV1().Services("guestbook").Get(context.Background(), "guestbook-ui", metav1.GetOptions{}); err != nil {
			t.Errorf("the Service is gone after a broken render: %v", err)
		}
	})

	t.Run("a removed file is pruned", func(t *testing.T) {
		repo.Commit(t, "main", map[string]string{
			"guestbook/deployment.yaml": deploymentYAML("guestbook-ui", "registry.invalid/guestbook:0.2", 1),
			"guestbook/service.yaml":    "", // removed
		}, "fix and drop the Service")
		waitFor(t, "the Service to be pruned", func(ctx context.Context) (bool, error) {
			_, err := cs.CoreV1().Services("guestbook").Get(ctx, "guestbook-ui", metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
		waitFor(t, "Synced again", synced)
	})

	t.Run("deleting with the finalizer deletes the resources", func(t *testing.T) {
		updateApp(t, cl, "guestbook", func(a *v1alpha1.Application) {
			a.Finalizers = append(a.Finalizers, v1alpha1.ResourcesFinalizer)
		})
		if err := cl.Delete(context.Background(), appStatus(t, cl, "guestbook")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the Deployment and its ReplicaSets to be deleted", func(ctx context.Context) (bool, error) {
			_, err := cs.AppsV1().Deployments("guestbook").Get(ctx, "guestbook-ui", metav1.GetOptions{})
			rs, _ := cs.AppsV1().ReplicaSets("guestbook").List(ctx, metav1.ListOptions{})
			return apierrors.IsNotFound(err) && len(rs.Items) == 0, nil
		})
		waitFor(t, "the Application to be gone", func(ctx context.Context) (bool, error) {
			err := cl.Get(ctx, types.NamespacedName{Namespace: controlPlane, Name: "guestbook"}, &v1alpha1.Application{})
			return apierrors.IsNotFound(err), nil
		})
	})
}
