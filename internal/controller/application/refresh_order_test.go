package application

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/render"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// syncedConfigMapApp creates the automated Application name, deploying one
// ConfigMap from a repository of its own, and waits until it is synced.
func syncedConfigMapApp(t *testing.T, cl client.Client, name string) *gitserver.Repo {
	t.Helper()
	repo := gitserver.NewRepo(t, t.TempDir(), name)
	repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": configMapYAML(name, nil)}, "cm")
	repo.SetHead(t, "main")
	if err := cl.Create(context.Background(), seedApp(name, repo.URL(), name)); err != nil {
		t.Fatal(err)
	}
	waitSynced(t, cl, name, repo.RevParse(t, "main"))
	return repo
}

// The refresh annotation goes in a write after the refreshed status: who
// waits for it to go, as the API's GET with ?refresh does, finds the
// status of the refresh in the same event, not the one before it.
func TestRefreshAnnotationGoesAfterTheStatus(t *testing.T) {
	cl, _ := startConfiguredController(t, func(*Reconciler) {})
	const name = "refresh-order"
	syncedConfigMapApp(t, cl, name)
	last := appStatus(t, cl, name).Status.ReconciledAt
	// reconciledAt counts seconds: the refresh's must fall in a later one.
	waitFor(t, "a new second", func(context.Context) (bool, error) {
		return last == nil || time.Now().Truncate(time.Second).After(last.Time), nil
	})

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	direct, err := client.NewWithWatch(env.Config(), client.Options{Scheme: cl.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	app := &v1alpha1.Application{}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := direct.Get(ctx, client.ObjectKey{Namespace: controlPlane, Name: name}, app); err != nil {
			return err
		}
		if app.Annotations == nil {
			app.Annotations = map[string]string{}
		}
		app.Annotations[v1alpha1.AnnotationRefresh] = v1alpha1.RefreshTypeNormal
		return direct.Update(ctx, app)
	})
	if err != nil {
		t.Fatal(err)
	}
	w, err := direct.Watch(ctx, &v1alpha1.ApplicationList{}, client.InNamespace(controlPlane), &client.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", name),
		Raw:           &metav1.ListOptions{ResourceVersion: app.ResourceVersion},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		got, ok := ev.Object.(*v1alpha1.Application)
		if !ok {
			t.Fatalf("watch event %s: %T", ev.Type, ev.Object)
		}
		if _, pending := got.Annotations[v1alpha1.AnnotationRefresh]; pending {
			continue
		}
		if at := got.Status.ReconciledAt; at == nil || last != nil && !at.After(last.Time) {
			t.Errorf("the refresh annotation went at version %s with reconciledAt %v, the status before the refresh (%v)", got.ResourceVersion, at, last)
		}
		return
	}
	t.Fatalf("the refresh annotation did not go: %v", ctx.Err())
}

// A refresh asked for while a pass that did not take it runs is left for
// the pass after it: the running pass's status write returns the
// annotation, and removing it then would answer the refresh with a status
// built from a revision resolved before it was asked. A hard refresh shows
// whether it was acted on: it renders again.
func TestRefreshAskedDuringAPassIsKept(t *testing.T) {
	var builds atomic.Int64
	var gate atomic.Pointer[chan struct{}]
	entered := make(chan struct{}, 1)
	cl, _ := startConfiguredController(t, func(r *Reconciler) {
		r.Renders = render.NewCache(100, render.WithBuild(func(ctx context.Context, req render.Request) (*render.Result, error) {
			builds.Add(1)
			if g := gate.Swap(nil); g != nil {
				entered <- struct{}{}
				select {
				case <-*g:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			return render.Build(ctx, req)
		}))
	})
	const name = "refresh-kept"
	repo := syncedConfigMapApp(t, cl, name)

	// The next poll renders the new commit, and waits there.
	release := make(chan struct{})
	gate.Store(&release)
	repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": configMapYAML(name, map[string]string{"capstan.test/v": "2"})}, "cm 2")
	select {
	case <-entered:
	case <-time.After(time.Minute):
		t.Fatal("no pass rendered the new commit")
	}
	rendered := builds.Load()
	var asked int64
	updateApp(t, cl, name, func(a *v1alpha1.Application) {
		if a.Annotations == nil {
			a.Annotations = map[string]string{}
		}
		a.Annotations[v1alpha1.AnnotationRefresh] = v1alpha1.RefreshTypeHard
	})
	waitFor(t, "the cache to see the refresh", func(context.Context) (bool, error) {
		a := appStatus(t, cl, name)
		_, pending := a.Annotations[v1alpha1.AnnotationRefresh]
		asked, _ = strconv.ParseInt(a.ResourceVersion, 10, 64)
		return pending, nil
	})
	close(release)
	waitFor(t, "the hard refresh to be answered", func(context.Context) (bool, error) {
		a := appStatus(t, cl, name)
		_, pending := a.Annotations[v1alpha1.AnnotationRefresh]
		v, _ := strconv.ParseInt(a.ResourceVersion, 10, 64)
		return !pending && v > asked, nil
	})
	if builds.Load() == rendered {
		t.Error("the hard refresh asked for during a pass was removed by that pass, without a render of its own")
	}
	waitSynced(t, cl, name, repo.RevParse(t, "main"))
}
