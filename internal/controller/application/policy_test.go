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

func hasCondition(app *v1alpha1.Application, kind v1alpha1.ApplicationConditionType, substr string) bool {
	for _, c := range app.Status.Conditions {
		if c.Type == kind && strings.Contains(c.Message, substr) {
			return true
		}
	}
	return false
}

func TestProjectForbiddingTheDestinationBlocksTheSync(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	repo := gitserver.NewRepo(t, t.TempDir(), "apps")
	repo.Commit(t, "main", map[string]string{"guestbook/deployment.yaml": deploymentYAML("web", "registry.invalid/web:1", 1)}, "web")
	repo.SetHead(t, "main")
	project := &v1alpha1.AppProject{
		ObjectMeta: metav1.ObjectMeta{Name: "team-a", Namespace: controlPlane},
		Spec: v1alpha1.AppProjectSpec{
			SourceRepos:  []string{"*"},
			Destinations: []v1alpha1.ApplicationDestination{{Server: "https://kubernetes.default.svc", Namespace: "team-a-*"}},
		},
	}
	if err := cl.Create(context.Background(), project); err != nil {
		t.Fatal(err)
	}
	app := seedApp("forbidden", repo.URL(), "team-b")
	app.Spec.Project = "team-a"
	if err := cl.Create(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "an InvalidSpecError naming the project", func(ctx context.Context) (bool, error) {
		return hasCondition(appStatus(t, cl, "forbidden"), v1alpha1.ApplicationConditionInvalidSpecError, "team-a"), nil
	})
	if _, err := cs.CoreV1().Namespaces().Get(context.Background(), "team-b", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the forbidden destination namespace was created: %v", err)
	}
}

func TestPruneFalseReportsAndAllowEmptyRefuses(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	srv := gitserver.NewHTTP(t, gitserver.WithBasicAuth("", ""))
	repo := srv.NewRepo(t, "apps")
	repo.Commit(t, "main", map[string]string{
		"guestbook/deployment.yaml": deploymentYAML("web", "registry.invalid/web:1", 1),
		"guestbook/service.yaml":    serviceYAML,
	}, "web")
	repo.SetHead(t, "main")
	app := seedApp("keeper", srv.RepoURL("apps"), "keeper")
	app.Spec.SyncPolicy.Automated.Prune = false
	if err := cl.Create(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Synced", func(ctx context.Context) (bool, error) {
		return appStatus(t, cl, "keeper").Status.Sync.Status == v1alpha1.SyncStatusCodeSynced, nil
	})

	// Without prune, a removed file's object stays and is reported.
	repo.Commit(t, "main", map[string]string{"guestbook/service.yaml": ""}, "drop the Service")
	waitFor(t, "the Service reported as requiring pruning", func(ctx context.Context) (bool, error) {
		for _, r := range appStatus(t, cl, "keeper").Status.Resources {
			if r.Kind == "Service" && r.RequiresPruning {
				return true, nil
			}
		}
		return false, nil
	})
	if _, err := cs.CoreV1().Services("keeper").Get(context.Background(), "guestbook-ui", metav1.GetOptions{}); err != nil {
		t.Errorf("the Service was pruned without prune: %v", err)
	}
	if got := appStatus(t, cl, "keeper").Status.Sync.Status; got != v1alpha1.SyncStatusCodeOutOfSync {
		t.Errorf("sync status with an extraneous object = %s, want OutOfSync", got)
	}

	// With prune but allowEmpty false, emptying the path is refused.
	updateApp(t, cl, "keeper", func(a *v1alpha1.Application) { a.Spec.SyncPolicy.Automated.Prune = true })
	waitFor(t, "the Service to be pruned", func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().Services("keeper").Get(ctx, "guestbook-ui", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	repo.Commit(t, "main", map[string]string{"guestbook/deployment.yaml": "", "guestbook/README.md": "nothing here yet\n"}, "empty the app")
	waitFor(t, "a SyncError about allowEmpty", func(ctx context.Context) (bool, error) {
		return hasCondition(appStatus(t, cl, "keeper"), v1alpha1.ApplicationConditionSyncError, "allowEmpty"), nil
	})
	if _, err := cs.AppsV1().Deployments("keeper").Get(context.Background(), "web", metav1.GetOptions{}); err != nil {
		t.Errorf("the Deployment was pruned although allowEmpty is false: %v", err)
	}

	// A stopped Git server leaves the cluster as it was.
	srv.Close()
	updateApp(t, cl, "keeper", func(a *v1alpha1.Application) {
		a.Annotations = map[string]string{v1alpha1.AnnotationRefresh: "normal"}
	})
	waitFor(t, "a ComparisonError naming the repository", func(ctx context.Context) (bool, error) {
		return hasCondition(appStatus(t, cl, "keeper"), v1alpha1.ApplicationConditionComparisonError, "apps.git"), nil
	})
	if _, err := cs.AppsV1().Deployments("keeper").Get(context.Background(), "web", metav1.GetOptions{}); err != nil {
		t.Errorf("the Deployment is gone while the Git server is down: %v", err)
	}
}
