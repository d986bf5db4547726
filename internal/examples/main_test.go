package examples

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/controller/application"
	"github.com/capstan-cd/capstan/internal/render"
	"github.com/capstan-cd/capstan/internal/source"
	"github.com/capstan-cd/capstan/internal/testenv"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
	"github.com/capstan-cd/capstan/internal/tracking"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, &env))
}

// controlPlane is where Applications live, as in an Argo CD install.
const controlPlane = "argocd"

// startController runs the Application controller in process against the
// package's cluster until the test ends, polling every second, with the
// settings an installation has by default. It returns a client that reads
// through the controller's cache.
func startController(t *testing.T) client.Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	cfg := env.Config()
	direct, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: controlPlane}}
	if err := direct.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:     scheme,
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	git, err := source.NewGit(source.GitOptions{CacheDir: t.TempDir(), PollInterval: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	charts, err := source.NewCharts(source.ChartsOptions{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	r := &application.Reconciler{
		Client:   mgr.GetClient(),
		Opts:     application.Options{Namespace: controlPlane, Resync: time.Second, Tracking: tracking.MethodAnnotation},
		Fetcher:  &source.Fetcher{Git: git, Charts: charts},
		Renders:  render.NewCache(100),
		Clusters: application.NewClusters(ctx, cfg, controlPlane, tracking.MethodAnnotation),
		Clock:    clock.RealClock{},
	}
	if err := r.SetupWithManager(mgr, 4); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			t.Errorf("manager: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return mgr.GetClient()
}

// serveExamples commits testdata to a repository of a Git server that
// asks for no credentials (the example repository is public) and returns
// the repository's URL and commit.
func serveExamples(t *testing.T) (url, commit string) {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("testdata", path)
		files[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := gitserver.NewHTTP(t, gitserver.WithBasicAuth("", ""))
	repo := srv.NewRepo(t, "argocd-example-apps")
	commit = repo.Commit(t, "main", files, "the example apps")
	repo.SetHead(t, "main")
	return srv.RepoURL("argocd-example-apps"), commit
}

// exampleApp is an Application of the example at path, as its README
// would have a user write it, deploying into namespace.
func exampleApp(name, repoURL, path, namespace string) *v1alpha1.Application {
	return &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: controlPlane},
		Spec: v1alpha1.ApplicationSpec{
			Project:     "default",
			Source:      &v1alpha1.ApplicationSource{RepoURL: repoURL, TargetRevision: "HEAD", Path: path},
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: namespace},
			SyncPolicy: &v1alpha1.SyncPolicy{
				Automated:   &v1alpha1.SyncPolicyAutomated{Prune: true, SelfHeal: true},
				SyncOptions: []string{"CreateNamespace=true"},
			},
		},
	}
}

// getApp reads an Application through cl, waiting for the cache to have it.
func getApp(t *testing.T, cl client.Client, name string) *v1alpha1.Application {
	t.Helper()
	app := &v1alpha1.Application{}
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		err := cl.Get(ctx, types.NamespacedName{Namespace: controlPlane, Name: name}, app)
		return err == nil, client.IgnoreNotFound(ignoreCacheNotStarted(err))
	})
	if err != nil {
		t.Fatalf("get Application %s: %v", name, err)
	}
	return app
}

// waitFor polls cond for at most two minutes: the examples sync in waves,
// each waiting for Pods to run.
func waitFor(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := wait.PollUntilContextCancel(ctx, 250*time.Millisecond, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// waitSyncedHealthy waits for the Application to be Synced and Healthy at
// commit, and returns it.
func waitSyncedHealthy(t *testing.T, cl client.Client, name, commit string) *v1alpha1.Application {
	t.Helper()
	var app *v1alpha1.Application
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := wait.PollUntilContextCancel(ctx, 250*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		app = getApp(t, cl, name)
		s := app.Status
		return s.Sync.Status == v1alpha1.SyncStatusCodeSynced && s.Health.Status == v1alpha1.HealthStatusHealthy && s.Sync.Revision == commit &&
			s.OperationState != nil && s.OperationState.Phase == v1alpha1.OperationSucceeded, nil
	})
	if err != nil {
		s := app.Status
		msg := ""
		if s.OperationState != nil {
			msg = string(s.OperationState.Phase) + ": " + s.OperationState.Message
		}
		t.Fatalf("%s is %s/%s at %q (operation %s; conditions %+v), not Synced/Healthy at %s", name, s.Sync.Status, s.Health.Status, s.Sync.Revision, msg, s.Conditions, commit)
	}
	return app
}

// ignoreCacheNotStarted treats a read before the controller's cache
// started as not found yet.
func ignoreCacheNotStarted(err error) error {
	if errors.As(err, new(*cache.ErrCacheNotStarted)) {
		return nil
	}
	return err
}

// updateOperation requests op on the Application, as `argocd app sync`
// does, retrying when the controller wrote the Application in between.
func updateOperation(t *testing.T, cl client.Client, name string, op *v1alpha1.Operation) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		app := getApp(t, cl, name)
		app.Operation = op
		return cl.Update(context.Background(), app)
	})
	if err != nil {
		t.Fatalf("request an operation on Application %s: %v", name, err)
	}
}
