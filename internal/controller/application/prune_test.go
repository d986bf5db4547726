package application

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// configMapYAML is a ConfigMap with the given annotations.
func configMapYAML(name string, annotations map[string]string) string {
	s := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n"
	if len(annotations) > 0 {
		s += "  annotations:\n"
		for k, v := range annotations {
			s += fmt.Sprintf("    %s: %q\n", k, v)
		}
	}
	return s + "data:\n  name: " + name + "\n"
}

// withWave is deploymentYAML in a sync wave.
func withWave(manifest string, wave int) string {
	return strings.Replace(manifest, "metadata:\n", fmt.Sprintf("metadata:\n  annotations:\n    %s: %q\n", v1alpha1.AnnotationSyncWave, strconv.Itoa(wave)), 1)
}

// moment is when, in the API server's own order of writes (etcd's
// revision, which resourceVersions are), something happened to an object.
type moment struct {
	rv         uint64
	finalizers []string
}

// timeline records, from watches of the objects capstan manages, the first
// moment each object began to be deleted and each Deployment became fully
// available: the order in which a sync really acted, as the cluster saw it.
type timeline struct {
	mu        sync.Mutex
	deleting  map[string]moment
	available map[string]moment
}

// watchManaged starts recording the managed ConfigMaps and Deployments of
// every namespace until the test ends.
func watchManaged(t *testing.T, cs kubernetes.Interface) *timeline {
	t.Helper()
	tl := &timeline{deleting: map[string]moment{}, available: map[string]moment{}}
	opts := metav1.ListOptions{LabelSelector: "capstan.dev/managed=true"}
	onEvents(t, tl.record,
		func(ctx context.Context) (watch.Interface, error) { return cs.CoreV1().ConfigMaps("").Watch(ctx, opts) },
		func(ctx context.Context) (watch.Interface, error) {
			return cs.AppsV1().Deployments("").Watch(ctx, opts)
		},
	)
	return tl
}

func (tl *timeline) record(ev watch.Event) {
	obj, ok := ev.Object.(metav1.Object)
	if !ok {
		return
	}
	rv, err := strconv.ParseUint(obj.GetResourceVersion(), 10, 64)
	if err != nil {
		return
	}
	kind := "ConfigMap"
	if _, ok := ev.Object.(*appsv1.Deployment); ok {
		kind = "Deployment"
	}
	key := kind + " " + obj.GetNamespace() + "/" + obj.GetName()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if _, seen := tl.deleting[key]; !seen && (ev.Type == watch.Deleted || obj.GetDeletionTimestamp() != nil) {
		tl.deleting[key] = moment{rv: rv, finalizers: obj.GetFinalizers()}
	}
	if d, ok := ev.Object.(*appsv1.Deployment); ok && ev.Type != watch.Deleted {
		if _, seen := tl.available[key]; !seen && deploymentAvailable(d) {
			tl.available[key] = moment{rv: rv}
		}
	}
}

// deploymentAvailable is Argo CD's Healthy for a Deployment: the current
// generation rolled out and every replica available.
func deploymentAvailable(d *appsv1.Deployment) bool {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	return d.Status.ObservedGeneration >= d.Generation && d.Status.UpdatedReplicas == want && d.Status.AvailableReplicas == want
}

// deletion waits for the moment key began to be deleted.
func (tl *timeline) deletion(t *testing.T, key string) moment {
	t.Helper()
	var m moment
	waitFor(t, key+" to be deleted", func(context.Context) (bool, error) {
		tl.mu.Lock()
		defer tl.mu.Unlock()
		var ok bool
		m, ok = tl.deleting[key]
		return ok, nil
	})
	return m
}

// availability waits for the moment the Deployment key became available.
func (tl *timeline) availability(t *testing.T, key string) moment {
	t.Helper()
	var m moment
	waitFor(t, key+" to be available", func(context.Context) (bool, error) {
		tl.mu.Lock()
		defer tl.mu.Unlock()
		var ok bool
		m, ok = tl.available[key]
		return ok, nil
	})
	return m
}

// waitSynced waits until the Application is Synced and Healthy at the
// repository's commit rev.
func waitSynced(t *testing.T, cl client.Client, name, rev string) {
	t.Helper()
	waitFor(t, name+" Synced and Healthy at "+rev, func(ctx context.Context) (bool, error) {
		a := appStatus(t, cl, name)
		return a.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && a.Status.Health.Status == v1alpha1.HealthStatusHealthy &&
			a.Status.Sync.Revision == rev, nil
	})
}

// TestPruneLast removes objects from Git while a new Deployment is added in
// a later wave, and checks in the cluster's own order of writes that a
// PruneLast prune (set on the object, or on the whole Application) comes
// after everything else is applied and healthy, and after the other prunes.
func TestPruneLast(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	repo := gitserver.NewRepo(t, t.TempDir(), "apps")
	pruneLast := map[string]string{v1alpha1.AnnotationSyncOptions: "PruneLast=true"}
	repo.Commit(t, "main", map[string]string{
		// Without PruneLast, prunes go in reverse wave order: old-last
		// (wave 0) would go before old-first (wave -1).
		"annotated/old-first.yaml": configMapYAML("old-first", map[string]string{v1alpha1.AnnotationSyncWave: "-1"}),
		"annotated/old-last.yaml":  configMapYAML("old-last", pruneLast),
		"annotated/keep.yaml":      configMapYAML("keep", nil),
		"app-level/old.yaml":       configMapYAML("old", nil),
		"app-level/keep.yaml":      configMapYAML("keep", nil),
	}, "the objects to prune")
	repo.SetHead(t, "main")

	annotated := seedApp("prune-last-annotated", repo.URL(), "prune-last-annotated")
	annotated.Spec.Source.Path = "annotated"
	annotated.Spec.SyncPolicy.SyncOptions = []string{"CreateNamespace=true"}
	appLevel := seedApp("prune-last-app", repo.URL(), "prune-last-app") // the article's PruneLast=true
	appLevel.Spec.Source.Path = "app-level"
	for _, app := range []*v1alpha1.Application{annotated, appLevel} {
		if err := cl.Create(context.Background(), app); err != nil {
			t.Fatal(err)
		}
	}
	first := repo.RevParse(t, "main")
	waitSynced(t, cl, annotated.Name, first)
	waitSynced(t, cl, appLevel.Name, first)

	tl := watchManaged(t, cs)
	web := withWave(deploymentYAML("web", "registry.invalid/web:1", 1), 1)
	second := repo.Commit(t, "main", map[string]string{
		"annotated/old-first.yaml": "",
		"annotated/old-last.yaml":  "",
		"annotated/web.yaml":       web,
		"app-level/old.yaml":       "",
		"app-level/web.yaml":       web,
	}, "replace the old objects by a Deployment in wave 1")

	t.Run("annotation", func(t *testing.T) {
		ns := annotated.Spec.Destination.Namespace
		webUp := tl.availability(t, "Deployment "+ns+"/web")
		oldFirst := tl.deletion(t, "ConfigMap "+ns+"/old-first")
		oldLast := tl.deletion(t, "ConfigMap "+ns+"/old-last")
		if oldLast.rv < webUp.rv {
			t.Errorf("the PruneLast object was pruned (rv %d) before the Deployment of wave 1 was available (rv %d)", oldLast.rv, webUp.rv)
		}
		if oldLast.rv < oldFirst.rv {
			t.Errorf("the PruneLast object was pruned (rv %d) before the other prune (rv %d)", oldLast.rv, oldFirst.rv)
		}
		waitSynced(t, cl, annotated.Name, second)
		assertLastResult(t, appStatus(t, cl, annotated.Name), "old-last", v1alpha1.ResultCodePruned)
		if _, err := cs.CoreV1().ConfigMaps(ns).Get(context.Background(), "keep", metav1.GetOptions{}); err != nil {
			t.Errorf("the ConfigMap still in Git is gone: %v", err)
		}
	})

	t.Run("application option", func(t *testing.T) {
		ns := appLevel.Spec.Destination.Namespace
		webUp := tl.availability(t, "Deployment "+ns+"/web")
		old := tl.deletion(t, "ConfigMap "+ns+"/old")
		if old.rv < webUp.rv {
			t.Errorf("with PruneLast=true on the Application, the old ConfigMap (wave 0) was pruned (rv %d) before the Deployment of wave 1 was available (rv %d)", old.rv, webUp.rv)
		}
		waitSynced(t, cl, appLevel.Name, second)
		assertLastResult(t, appStatus(t, cl, appLevel.Name), "old", v1alpha1.ResultCodePruned)
	})
}

// assertLastResult checks that the last resource of the last sync's result
// is name, with the given status.
func assertLastResult(t *testing.T, app *v1alpha1.Application, name string, want v1alpha1.ResultCode) {
	t.Helper()
	op := app.Status.OperationState
	if op == nil || op.SyncResult == nil || len(op.SyncResult.Resources) == 0 {
		t.Errorf("%s: no sync result: %+v", app.Name, op)
		return
	}
	res := op.SyncResult.Resources
	if last := res[len(res)-1]; last.Name != name || last.Status != want {
		var order []string
		for _, r := range res {
			order = append(order, fmt.Sprintf("%s %s: %s", r.Kind, r.Name, r.Status))
		}
		t.Errorf("%s: the sync's last task is %s %s (%s), want %s %s; tasks in order: %s", app.Name, last.Kind, last.Name, last.Status, name, want, strings.Join(order, ", "))
	}
}

// TestPrunePropagation prunes a Deployment with the default (foreground)
// propagation, which must leave none of its ReplicaSets behind, and with
// PrunePropagationPolicy=orphan, which must leave them, unowned.
func TestPrunePropagation(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	repo := gitserver.NewRepo(t, t.TempDir(), "apps")
	repo.Commit(t, "main", map[string]string{
		"guestbook/deployment.yaml": deploymentYAML("web", "registry.invalid/web:1", 1),
		"guestbook/keep.yaml":       configMapYAML("keep", nil),
	}, "web")
	repo.SetHead(t, "main")

	foreground := seedApp("prune-foreground", repo.URL(), "prune-foreground")
	foreground.Spec.SyncPolicy.SyncOptions = []string{"CreateNamespace=true"} // the default propagation
	orphan := seedApp("prune-orphan", repo.URL(), "prune-orphan")
	orphan.Spec.SyncPolicy.SyncOptions = []string{"CreateNamespace=true", "PrunePropagationPolicy=orphan"}
	for _, app := range []*v1alpha1.Application{foreground, orphan} {
		if err := cl.Create(context.Background(), app); err != nil {
			t.Fatal(err)
		}
	}
	first := repo.RevParse(t, "main")
	replicaSets := map[string]*appsv1.ReplicaSet{}
	for _, app := range []*v1alpha1.Application{foreground, orphan} {
		waitSynced(t, cl, app.Name, first)
		ns := app.Spec.Destination.Namespace
		waitFor(t, "the ReplicaSet of "+ns+"/web", func(ctx context.Context) (bool, error) {
			list, err := cs.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
			if err != nil || len(list.Items) != 1 {
				return false, err
			}
			replicaSets[ns] = &list.Items[0]
			return true, nil
		})
	}

	tl := watchManaged(t, cs)
	repo.Commit(t, "main", map[string]string{"guestbook/deployment.yaml": ""}, "drop the Deployment")

	t.Run("foreground", func(t *testing.T) {
		ns := foreground.Spec.Destination.Namespace
		rs := replicaSets[ns]
		if m := tl.deletion(t, "Deployment "+ns+"/web"); !contains(m.finalizers, metav1.FinalizerDeleteDependents) {
			t.Errorf("the Deployment was deleted with finalizers %v, want %s (foreground propagation)", m.finalizers, metav1.FinalizerDeleteDependents)
		}
		waitFor(t, "the Deployment to be gone", func(ctx context.Context) (bool, error) {
			_, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
		// Foreground: the owner goes only once its dependents are gone, so
		// no wait is needed here.
		got, err := cs.AppsV1().ReplicaSets(ns).Get(context.Background(), rs.Name, metav1.GetOptions{})
		if err == nil && got.UID == rs.UID {
			t.Errorf("ReplicaSet %s/%s outlived its pruned Deployment (owners %v, deleting since %v)", ns, rs.Name, got.OwnerReferences, got.DeletionTimestamp)
		} else if err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		list, err := cs.AppsV1().ReplicaSets(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil || len(list.Items) != 0 {
			t.Errorf("ReplicaSets of the pruned Deployment remain: %d, %v", len(list.Items), err)
		}
	})

	t.Run("orphan", func(t *testing.T) {
		ns := orphan.Spec.Destination.Namespace
		rs := replicaSets[ns]
		if m := tl.deletion(t, "Deployment "+ns+"/web"); !contains(m.finalizers, metav1.FinalizerOrphanDependents) {
			t.Errorf("the Deployment was deleted with finalizers %v, want %s (PrunePropagationPolicy=orphan)", m.finalizers, metav1.FinalizerOrphanDependents)
		}
		waitFor(t, "the Deployment to be gone", func(ctx context.Context) (bool, error) {
			_, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
		got, err := cs.AppsV1().ReplicaSets(ns).Get(context.Background(), rs.Name, metav1.GetOptions{})
		switch {
		case err != nil:
			t.Errorf("PrunePropagationPolicy=orphan deleted the ReplicaSet: %v", err)
		case got.UID != rs.UID || got.DeletionTimestamp != nil || len(got.OwnerReferences) != 0:
			t.Errorf("the orphaned ReplicaSet: uid %s (was %s), deleting since %v, owners %v; want the same one, not deleted, unowned", got.UID, rs.UID, got.DeletionTimestamp, got.OwnerReferences)
		}
		// Nothing tracks an orphan: remove it, and its Pods, here.
		bg := metav1.DeletePropagationBackground
		_ = cs.AppsV1().ReplicaSets(ns).Delete(context.Background(), rs.Name, metav1.DeleteOptions{PropagationPolicy: &bg})
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestPruneConfirm removes an object marked Prune=confirm from Git, with
// self-heal off as in Argo CD's example: the sync of that commit stops
// before the prune and says so (it is not a success while the prune is
// held), the object stays untouched, and the deletion-approved annotation
// lets that same sync prune it and end, with one history entry for the
// revision.
func TestPruneConfirm(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	repo := gitserver.NewRepo(t, t.TempDir(), "apps")
	repo.Commit(t, "main", map[string]string{
		"guestbook/keep.yaml":   configMapYAML("keep", nil),
		"guestbook/doomed.yaml": configMapYAML("doomed", map[string]string{v1alpha1.AnnotationSyncOptions: "Prune=confirm"}),
	}, "two ConfigMaps")
	repo.SetHead(t, "main")
	app := seedApp("confirm", repo.URL(), "confirm")
	app.Spec.SyncPolicy.Automated.SelfHeal = false
	if err := cl.Create(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	waitSynced(t, cl, app.Name, repo.RevParse(t, "main"))
	doomed, err := cs.CoreV1().ConfigMaps("confirm").Get(context.Background(), "doomed", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	second := repo.Commit(t, "main", map[string]string{"guestbook/doomed.yaml": ""}, "drop the doomed ConfigMap")
	var op *v1alpha1.OperationState
	waitFor(t, "the sync of the new revision to end or stop for the approval", func(ctx context.Context) (bool, error) {
		op = appStatus(t, cl, app.Name).Status.OperationState
		return op != nil && op.SyncResult != nil && op.SyncResult.Revision == second &&
			(op.Phase != v1alpha1.OperationRunning || strings.Contains(strings.ToLower(op.Message), "confirm")), nil
	})
	got, err := cs.CoreV1().ConfigMaps("confirm").Get(context.Background(), "doomed", metav1.GetOptions{})
	if err != nil || got.UID != doomed.UID || got.DeletionTimestamp != nil {
		t.Fatalf("the Prune=confirm ConfigMap was pruned without approval: %v (deleting since %v)", err, got.DeletionTimestamp)
	}
	msg := strings.ToLower(op.Message)
	if op.Phase != v1alpha1.OperationRunning || !strings.Contains(msg, "confirm") || !strings.Contains(msg, "doomed") {
		t.Errorf("while the prune of doomed awaits approval, the operation is %s: %q; want it held (Running) with a message naming the object and the confirmation", op.Phase, op.Message)
	}
	if a := appStatus(t, cl, app.Name); a.Status.Sync.Status != v1alpha1.SyncStatusCodeOutOfSync {
		t.Errorf("sync status while a prune awaits approval = %s, want OutOfSync", a.Status.Sync.Status)
	}

	approved := time.Now().UTC().Format(time.RFC3339) // a time after the sync began, as Argo CD writes it
	updateApp(t, cl, app.Name, func(a *v1alpha1.Application) {
		if a.Annotations == nil {
			a.Annotations = map[string]string{}
		}
		a.Annotations[AnnotationDeletionApproved] = approved
	})
	waitFor(t, "the approved prune", func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ConfigMaps("confirm").Get(ctx, "doomed", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	waitSynced(t, cl, app.Name, second)
	if _, err := cs.CoreV1().ConfigMaps("confirm").Get(context.Background(), "keep", metav1.GetOptions{}); err != nil {
		t.Errorf("the ConfigMap still in Git is gone: %v", err)
	}
	a := appStatus(t, cl, app.Name)
	if op := a.Status.OperationState; op.Phase != v1alpha1.OperationSucceeded {
		t.Errorf("after the approved prune the operation is %s: %s", op.Phase, op.Message)
	}
	n := 0
	for _, h := range a.Status.History {
		if h.Revision == second {
			n++
		}
	}
	if n != 1 {
		t.Errorf("history holds %d entries for revision %s, want 1", n, second)
	}
}

// An object a sync pruned that waits on a finalizer stays until it is
// released: the Application shows it OutOfSync meanwhile, and no automated
// sync starts again to prune it a second time.
func TestPrunedObjectOnItsWayOutIsNotPrunedAgain(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	repo := gitserver.NewRepo(t, t.TempDir(), "held")
	held := strings.Replace(configMapYAML("held", nil), "metadata:\n", "metadata:\n  finalizers: [example.com/hold]\n", 1)
	repo.Commit(t, "main", map[string]string{"guestbook/held.yaml": held, "guestbook/keep.yaml": configMapYAML("keep", nil)}, "a held ConfigMap")
	repo.SetHead(t, "main")
	if err := cl.Create(context.Background(), seedApp("prune-held", repo.URL(), "prune-held")); err != nil {
		t.Fatal(err)
	}
	waitSynced(t, cl, "prune-held", repo.RevParse(t, "main"))

	second := repo.Commit(t, "main", map[string]string{"guestbook/held.yaml": ""}, "drop the held ConfigMap")
	var pruning *v1alpha1.OperationState
	waitFor(t, "the sync that prunes it", func(ctx context.Context) (bool, error) {
		pruning = appStatus(t, cl, "prune-held").Status.OperationState
		return pruning != nil && pruning.SyncResult != nil && pruning.SyncResult.Revision == second && pruning.Phase.Completed(), nil
	})
	cm, err := cs.CoreV1().ConfigMaps("prune-held").Get(context.Background(), "held", metav1.GetOptions{})
	if err != nil || cm.DeletionTimestamp == nil {
		t.Fatalf("the held ConfigMap after its prune: %v, %+v", err, cm)
	}
	time.Sleep(5 * time.Second) // the passes that the deletion's events bring
	a := appStatus(t, cl, "prune-held")
	if n := len(a.Status.History); n != 2 {
		t.Errorf("%d syncs in the history, want 2 (the first, the prune): %+v", n, a.Status.History)
	}
	if a.Status.Sync.Status != v1alpha1.SyncStatusCodeOutOfSync {
		t.Errorf("sync status %s while the pruned ConfigMap is still there, want OutOfSync", a.Status.Sync.Status)
	}

	if _, err := cs.CoreV1().ConfigMaps("prune-held").Patch(context.Background(), "held", types.MergePatchType,
		[]byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitSynced(t, cl, "prune-held", second)
}

// What a sync deleted is taken as on its way out for a minute, and what it
// did not delete never is.
func TestPrunedIsRememberedForAMinute(t *testing.T) {
	var p pruned
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	p.add("u1", now)
	if !p.recent("u1", now.Add(prunedFor)) || p.recent("u2", now) {
		t.Errorf("recent right after the prune: u1 %t, u2 %t; want true, false", p.recent("u1", now.Add(prunedFor)), p.recent("u2", now))
	}
	if p.recent("u1", now.Add(prunedFor+time.Second)) {
		t.Error("a prune is remembered after prunedFor")
	}
	p.add("u2", now.Add(2*prunedFor))
	if _, kept := p.m["u1"]; kept {
		t.Error("an old prune is kept once a new one is added")
	}
}
