package application

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// deleteApp deletes an Application as a user would.
func deleteApp(t *testing.T, cl client.Client, name string) {
	t.Helper()
	if err := cl.Delete(context.Background(), appStatus(t, cl, name)); err != nil {
		t.Fatal(err)
	}
}

// waitGone waits until the Application no longer exists.
func waitGone(t *testing.T, cl client.Client, name string) {
	t.Helper()
	waitFor(t, "Application "+name+" to be gone", func(ctx context.Context) (bool, error) {
		err := cl.Get(ctx, types.NamespacedName{Namespace: controlPlane, Name: name}, &v1alpha1.Application{})
		return apierrors.IsNotFound(err), nil
	})
}

// TestDeletionFinalizerForms deletes an Application under each form of
// the resources finalizer: each deletes the Application's resources before
// the Application goes (the foreground forms after the Deployment's
// ReplicaSets too), and without one the resources stay.
func TestDeletionFinalizerForms(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	forms := []struct {
		app, finalizer string
		deletes        bool
		foreground     bool
	}{
		{"cascade", v1alpha1.ResourcesFinalizer, true, true},
		{"cascade-fg", v1alpha1.ForegroundResourcesFinalizer, true, true},
		{"cascade-bg", v1alpha1.BackgroundResourcesFinalizer, true, false},
		{"no-cascade", "", false, false},
	}
	revs := map[string]string{}
	for _, f := range forms {
		repo := gitserver.NewRepo(t, t.TempDir(), f.app)
		rev := repo.Commit(t, "main", map[string]string{
			"guestbook/web.yaml":      deploymentYAML("web", "nginx:1", 1),
			"guestbook/settings.yaml": configMapYAML("settings", nil),
		}, "a Deployment and a ConfigMap")
		repo.SetHead(t, "main")
		app := seedApp(f.app, repo.URL(), f.app)
		if f.finalizer != "" {
			app.Finalizers = []string{f.finalizer}
		}
		if err := cl.Create(ctx, app); err != nil {
			t.Fatal(err)
		}
		revs[f.app] = rev
	}
	for _, f := range forms {
		waitSynced(t, cl, f.app, revs[f.app])
	}
	for _, f := range forms {
		deleteApp(t, cl, f.app)
	}
	for _, f := range forms {
		t.Run(f.app, func(t *testing.T) {
			waitGone(t, cl, f.app)
			// The foreground forms let the Application go only once the
			// Deployment, and so its ReplicaSets, are gone.
			if rs, err := cs.AppsV1().ReplicaSets(f.app).List(ctx, metav1.ListOptions{}); err != nil {
				t.Fatal(err)
			} else if f.foreground && len(rs.Items) > 0 {
				t.Errorf("the Application went before the ReplicaSets of its Deployment (%d left)", len(rs.Items))
			}
			if !f.deletes {
				if _, err := cs.AppsV1().Deployments(f.app).Get(ctx, "web", metav1.GetOptions{}); err != nil {
					t.Errorf("without a finalizer the Deployment should stay: %v", err)
				}
				return
			}
			waitFor(t, "the resources to be deleted", func(ctx context.Context) (bool, error) {
				_, derr := cs.AppsV1().Deployments(f.app).Get(ctx, "web", metav1.GetOptions{})
				_, cerr := cs.CoreV1().ConfigMaps(f.app).Get(ctx, "settings", metav1.GetOptions{})
				return apierrors.IsNotFound(derr) && apierrors.IsNotFound(cerr), nil
			})
		})
	}
}

// TestDeletionIsNeverStuckSilently: an Application whose destination
// cluster is no longer known goes at once; one whose resource another
// finalizer holds says so and goes once it is released; one whose project
// is gone still deletes its resources and goes.
func TestDeletionIsNeverStuckSilently(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()

	lost := seedApp("lost-cluster", "https://git.example.com/none.git", "lost-cluster")
	lost.Spec.Destination = v1alpha1.ApplicationDestination{Name: "decommissioned", Namespace: "lost-cluster"}
	lost.Finalizers = []string{v1alpha1.ResourcesFinalizer, v1alpha1.PreDeleteFinalizer, v1alpha1.PostDeleteFinalizer}
	if err := cl.Create(ctx, lost); err != nil {
		t.Fatal(err)
	}

	repo := gitserver.NewRepo(t, t.TempDir(), "held")
	rev := repo.Commit(t, "main", map[string]string{"guestbook/settings.yaml": configMapYAML("settings", nil)}, "a ConfigMap")
	repo.SetHead(t, "main")
	for _, name := range []string{"held", "orphan-project"} {
		if err := cl.Create(ctx, &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: controlPlane},
			Spec: v1alpha1.AppProjectSpec{SourceRepos: []string{"*"}, Destinations: []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}}}}); err != nil {
			t.Fatal(err)
		}
		app := seedApp(name, repo.URL(), name)
		app.Spec.Project = name
		app.Finalizers = []string{v1alpha1.ResourcesFinalizer}
		if err := cl.Create(ctx, app); err != nil {
			t.Fatal(err)
		}
	}
	waitSynced(t, cl, "held", rev)
	waitSynced(t, cl, "orphan-project", rev)

	deleteApp(t, cl, "lost-cluster")
	waitGone(t, cl, "lost-cluster")

	cm, err := cs.CoreV1().ConfigMaps("held").Get(ctx, "settings", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Finalizers = []string{"example.com/backup"}
	if _, err := cs.CoreV1().ConfigMaps("held").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	deleteApp(t, cl, "held")
	waitFor(t, "a DeletionError naming the held ConfigMap and its finalizer", func(ctx context.Context) (bool, error) {
		return hasCondition(appStatus(t, cl, "held"), v1alpha1.ApplicationConditionDeletionError, "ConfigMap held/settings (finalizers example.com/backup)"), nil
	})
	cm, err = cs.CoreV1().ConfigMaps("held").Get(ctx, "settings", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Finalizers = nil
	if _, err := cs.CoreV1().ConfigMaps("held").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, cl, "held")

	if err := cl.Delete(ctx, &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Name: "orphan-project", Namespace: controlPlane}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the project to be gone", func(ctx context.Context) (bool, error) {
		err := cl.Get(ctx, types.NamespacedName{Namespace: controlPlane, Name: "orphan-project"}, &v1alpha1.AppProject{})
		return apierrors.IsNotFound(err), nil
	})
	deleteApp(t, cl, "orphan-project")
	waitGone(t, cl, "orphan-project")
	if _, err := cs.CoreV1().ConfigMaps("orphan-project").Get(ctx, "settings", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the resources of the Application whose project is gone were left: %v", err)
	}
}

// deleteHookJob is a hook Job of kind hook (PreDelete or PostDelete),
// named by generateName. Unschedulable, with a deadline of a second, it
// fails.
func deleteHookJob(hook string, unschedulable bool) string {
	name, extra, deadline := "before-delete-", "", ""
	if hook == "PostDelete" {
		name = "after-delete-"
	}
	if unschedulable {
		extra = "      nodeSelector: {capstan.dev/nowhere: \"true\"}\n"
		deadline = "  activeDeadlineSeconds: 1\n"
	}
	return `apiVersion: batch/v1
kind: Job
metadata:
  generateName: ` + name + `
  annotations:
    argocd.argoproj.io/hook: ` + hook + `
spec:
` + deadline + `  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
` + extra + `      containers:
      - name: backup
        image: backup:1
`
}

// postDeleteHook is a PostDelete hook that deletes itself once done.
const postDeleteHook = `apiVersion: v1
kind: ConfigMap
metadata:
  name: goodbye
  annotations:
    argocd.argoproj.io/hook: PostDelete
    argocd.argoproj.io/hook-delete-policy: HookSucceeded
data: {sent: "yes"}
`

// TestDeleteHooks: the controller adds the PreDelete and PostDelete
// finalizers to an Application whose sources have such hooks; a sync does
// not run them; deleting the Application runs the PreDelete hook (named by
// generateName) to completion before any resource is deleted, and the
// PostDelete hook after they are all gone, then deletes it (HookSucceeded)
// and lets the Application go.
func TestDeleteHooks(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	tl := watchManaged(t, cs)
	events := watchHooks(t, cs, "hooked")
	repo := gitserver.NewRepo(t, t.TempDir(), "hooked")
	rev := repo.Commit(t, "main", map[string]string{
		"guestbook/settings.yaml": configMapYAML("settings", nil),
		"guestbook/before.yaml":   deleteHookJob("PreDelete", false),
		"guestbook/after.yaml":    postDeleteHook,
	}, "delete hooks")
	repo.SetHead(t, "main")
	app := seedApp("hooked", repo.URL(), "hooked")
	app.Finalizers = []string{v1alpha1.ResourcesFinalizer}
	if err := cl.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	waitSynced(t, cl, "hooked", rev)
	waitFor(t, "the delete hook finalizers", func(ctx context.Context) (bool, error) {
		f := appStatus(t, cl, "hooked").Finalizers
		return contains(f, v1alpha1.PreDeleteFinalizer) && contains(f, v1alpha1.PostDeleteFinalizer) && contains(f, v1alpha1.ResourcesFinalizer), nil
	})
	if jobs, err := cs.BatchV1().Jobs("hooked").List(ctx, metav1.ListOptions{}); err != nil || len(jobs.Items) > 0 {
		t.Fatalf("a sync ran the PreDelete hook: %v %v", jobs, err)
	}

	deleteApp(t, cl, "hooked")
	waitGone(t, cl, "hooked")
	deleted := tl.deletion(t, "ConfigMap hooked/settings")
	job := events.first(t, "a PreDelete Job to complete", func(e hookEvent) bool { return e.kind == "Job" && e.complete })
	if !strings.HasPrefix(job.name, "before-delete-") || len(job.name) != len("before-delete-")+5 {
		t.Errorf("the PreDelete Job is named %q; want before-delete- and five characters", job.name)
	}
	if job.rv >= deleted.rv {
		t.Errorf("the PreDelete Job completed at %d, after the resources began to be deleted at %d", job.rv, deleted.rv)
	}
	post := events.first(t, "the PostDelete hook to be created", func(e hookEvent) bool { return e.kind == "ConfigMap" && e.name == "goodbye" && e.added })
	if post.rv <= deleted.rv {
		t.Errorf("the PostDelete hook was created at %d, before the resources were deleted at %d", post.rv, deleted.rv)
	}
	waitFor(t, "the PostDelete hook to be deleted (HookSucceeded)", func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ConfigMaps("hooked").Get(ctx, "goodbye", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
}

// TestPreDeleteHookFailureBlocksDeletion: a PreDelete hook that fails
// keeps the Application and its resources, with a DeletionError naming the
// hook; so does a PreDelete hook that cannot be rendered. Removing the
// finalizer lets the deletion go on without it.
func TestPreDeleteHookFailureBlocksDeletion(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	repo := gitserver.NewRepo(t, t.TempDir(), "doomed")
	rev := repo.Commit(t, "main", map[string]string{
		"guestbook/settings.yaml": configMapYAML("settings", nil),
		"guestbook/before.yaml":   deleteHookJob("PreDelete", true),
	}, "a PreDelete hook that fails")
	repo.SetHead(t, "main")
	broken := gitserver.NewRepo(t, t.TempDir(), "unrenderable")
	brokenRev := broken.Commit(t, "main", map[string]string{
		"guestbook/settings.yaml": configMapYAML("settings", nil),
		"guestbook/before.yaml":   deleteHookJob("PreDelete", false),
	}, "a PreDelete hook")
	broken.SetHead(t, "main")
	for name, url := range map[string]string{"doomed": repo.URL(), "unrenderable": broken.URL()} {
		app := seedApp(name, url, name)
		app.Finalizers = []string{v1alpha1.ResourcesFinalizer}
		if err := cl.Create(ctx, app); err != nil {
			t.Fatal(err)
		}
	}
	waitSynced(t, cl, "doomed", rev)
	waitSynced(t, cl, "unrenderable", brokenRev)
	for _, name := range []string{"doomed", "unrenderable"} {
		waitFor(t, name+": the PreDelete finalizer", func(ctx context.Context) (bool, error) {
			return contains(appStatus(t, cl, name).Finalizers, v1alpha1.PreDeleteFinalizer), nil
		})
	}
	broken.Commit(t, "main", map[string]string{"guestbook/broken.yaml": "kind: [\n"}, "break the render")

	deleteApp(t, cl, "doomed")
	deleteApp(t, cl, "unrenderable")
	waitFor(t, "a DeletionError naming the failed hook", func(ctx context.Context) (bool, error) {
		return failedHook(appStatus(t, cl, "doomed"), "PreDelete hook Job doomed/before-delete-"), nil
	})
	waitFor(t, "a DeletionError saying the hooks cannot be rendered", func(ctx context.Context) (bool, error) {
		return hasCondition(appStatus(t, cl, "unrenderable"), v1alpha1.ApplicationConditionDeletionError, "cannot run the PreDelete hooks"), nil
	})
	for _, name := range []string{"doomed", "unrenderable"} {
		if _, err := cs.CoreV1().ConfigMaps(name).Get(ctx, "settings", metav1.GetOptions{}); err != nil {
			t.Errorf("%s: a resource was deleted before the PreDelete hooks succeeded: %v", name, err)
		}
		updateApp(t, cl, name, func(a *v1alpha1.Application) {
			a.Finalizers = slices.DeleteFunc(a.Finalizers, func(f string) bool { return f == v1alpha1.PreDeleteFinalizer })
		})
	}
	for _, name := range []string{"doomed", "unrenderable"} {
		waitGone(t, cl, name)
		if _, err := cs.CoreV1().ConfigMaps(name).Get(ctx, "settings", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s: the resources outlived the Application: %v", name, err)
		}
	}
}

// TestPostDeleteHookFailureBlocksDeletion: a PostDelete hook that fails
// runs after the resources are gone and keeps the Application, with a
// DeletionError naming it, until its finalizer is removed.
func TestPostDeleteHookFailureBlocksDeletion(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	repo := gitserver.NewRepo(t, t.TempDir(), "after-doomed")
	rev := repo.Commit(t, "main", map[string]string{
		"guestbook/settings.yaml": configMapYAML("settings", nil),
		"guestbook/after.yaml":    deleteHookJob("PostDelete", true),
	}, "a PostDelete hook that fails")
	repo.SetHead(t, "main")
	app := seedApp("after-doomed", repo.URL(), "after-doomed")
	app.Finalizers = []string{v1alpha1.ResourcesFinalizer}
	if err := cl.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	waitSynced(t, cl, "after-doomed", rev)
	waitFor(t, "the PostDelete finalizer", func(ctx context.Context) (bool, error) {
		return contains(appStatus(t, cl, "after-doomed").Finalizers, v1alpha1.PostDeleteFinalizer), nil
	})
	deleteApp(t, cl, "after-doomed")
	waitFor(t, "a DeletionError naming the failed hook", func(ctx context.Context) (bool, error) {
		return failedHook(appStatus(t, cl, "after-doomed"), "PostDelete hook Job after-doomed/after-delete-"), nil
	})
	if _, err := cs.CoreV1().ConfigMaps("after-doomed").Get(ctx, "settings", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the PostDelete hook ran before the resources were deleted: %v", err)
	}
	updateApp(t, cl, "after-doomed", func(a *v1alpha1.Application) {
		a.Finalizers = slices.DeleteFunc(a.Finalizers, func(f string) bool { return f == v1alpha1.PostDeleteFinalizer })
	})
	waitGone(t, cl, "after-doomed")
}

// failedHook reports whether the Application's DeletionError says that
// the hook named by prefix failed.
func failedHook(app *v1alpha1.Application, prefix string) bool {
	for _, c := range app.Status.Conditions {
		if c.Type == v1alpha1.ApplicationConditionDeletionError && strings.HasPrefix(c.Message, prefix) && strings.Contains(c.Message, " failed: ") {
			return true
		}
	}
	return false
}

// hookEvent is a change to a hook, at a moment of the API server's order
// of writes.
type hookEvent struct {
	kind, name      string
	rv              uint64
	added, complete bool
}

type hookEvents struct {
	mu     sync.Mutex
	events []hookEvent
}

// watchHooks records the Jobs and ConfigMaps of a namespace as they change.
func watchHooks(t *testing.T, cs kubernetes.Interface, ns string) *hookEvents {
	t.Helper()
	he := &hookEvents{}
	onEvents(t, func(ev watch.Event) {
		obj, ok := ev.Object.(metav1.Object)
		if !ok {
			return
		}
		rv, _ := strconv.ParseUint(obj.GetResourceVersion(), 10, 64)
		e := hookEvent{kind: "ConfigMap", name: obj.GetName(), rv: rv, added: ev.Type == watch.Added}
		if job, ok := ev.Object.(*batchv1.Job); ok {
			e.kind = "Job"
			e.complete = job.Status.Succeeded > 0
		}
		he.mu.Lock()
		he.events = append(he.events, e)
		he.mu.Unlock()
	},
		func(ctx context.Context) (watch.Interface, error) {
			return cs.BatchV1().Jobs(ns).Watch(ctx, metav1.ListOptions{})
		},
		func(ctx context.Context) (watch.Interface, error) {
			return cs.CoreV1().ConfigMaps(ns).Watch(ctx, metav1.ListOptions{})
		},
	)
	return he
}

// first waits for the first event that matches.
func (he *hookEvents) first(t *testing.T, what string, match func(hookEvent) bool) hookEvent {
	t.Helper()
	var found hookEvent
	waitFor(t, what, func(context.Context) (bool, error) {
		he.mu.Lock()
		defer he.mu.Unlock()
		for _, e := range he.events {
			if match(e) {
				found = e
				return true, nil
			}
		}
		return false, nil
	})
	return found
}

// onEvents passes every event of the watches started to record, until the
// test ends.
func onEvents(t *testing.T, record func(watch.Event), starts ...func(context.Context) (watch.Interface, error)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for _, start := range starts {
		w, err := start(ctx)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			defer w.Stop()
			for ev := range w.ResultChan() {
				record(ev)
			}
		}()
	}
}

// TestDeletionOnAnUnreachableCluster: an Application whose cluster refuses
// the controller keeps trying, with a DeletionError saying how to let it
// go; once the cluster's Secret is removed it goes, its resources left.
func TestDeletionOnAnUnreachableCluster(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	cfg := env.Config()
	secretFor := func(token string) *corev1.Secret {
		config, err := json.Marshal(map[string]any{"bearerToken": token,
			"tlsClientConfig": map[string]any{"caData": base64.StdEncoding.EncodeToString(cfg.CAData)}})
		if err != nil {
			t.Fatal(err)
		}
		// The test cluster again, under a name and server URL of its own.
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "cluster-flaky", Namespace: controlPlane,
			Labels: map[string]string{v1alpha1.LabelSecretType: v1alpha1.SecretTypeCluster}},
			StringData: map[string]string{"name": "flaky", "server": cfg.Host + "/", "config": string(config)}}
	}
	secret := secretFor(cfg.BearerToken)
	if err := cl.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Delete(context.Background(), secret) })
	repo := gitserver.NewRepo(t, t.TempDir(), "flaky")
	rev := repo.Commit(t, "main", map[string]string{"guestbook/settings.yaml": configMapYAML("settings", nil)}, "a ConfigMap")
	repo.SetHead(t, "main")
	app := seedApp("flaky", repo.URL(), "flaky")
	app.Spec.Destination = v1alpha1.ApplicationDestination{Name: "flaky", Namespace: "flaky"}
	app.Finalizers = []string{v1alpha1.ResourcesFinalizer}
	if err := cl.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	waitSynced(t, cl, "flaky", rev)

	revoked := secretFor("revoked")
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur := &corev1.Secret{}
		if err := cl.Get(ctx, client.ObjectKeyFromObject(secret), cur); err != nil {
			return err
		}
		revoked.ResourceVersion = cur.ResourceVersion
		return cl.Update(ctx, revoked)
	}); err != nil {
		t.Fatal(err)
	}
	deleteApp(t, cl, "flaky")
	waitFor(t, "a DeletionError saying how to let the Application go", func(ctx context.Context) (bool, error) {
		return hasCondition(appStatus(t, cl, "flaky"), v1alpha1.ApplicationConditionDeletionError, "or the cluster's Secret if the cluster is gone for good"), nil
	})
	if err := cl.Delete(ctx, revoked); err != nil {
		t.Fatal(err)
	}
	waitGone(t, cl, "flaky")
	if _, err := cs.CoreV1().ConfigMaps("flaky").Get(ctx, "settings", metav1.GetOptions{}); err != nil {
		t.Errorf("the resources on a cluster that is no longer known should stay: %v", err)
	}
}
