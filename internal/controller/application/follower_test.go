package application

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/appcache"
	"github.com/capstan-cd/capstan/internal/source"
)

// directClient reads and writes the test cluster without a cache, with the
// control-plane namespace in place.
func directClient(t *testing.T) client.Client {
	t.Helper()
	cl := env.Client(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: controlPlane}}
	if err := cl.Create(context.Background(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	return cl
}

// cachedClient reads the control-plane namespace through a started cache,
// as a replica's client does, and writes directly.
func cachedClient(t *testing.T) (client.Client, cache.Cache) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	cfg := env.Config()
	c, err := cache.New(cfg, cache.Options{Scheme: scheme, DefaultNamespaces: map[string]cache.Config{controlPlane: {}},
		DefaultTransform: appcache.Transform(cache.TransformStripManagedFields())})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := c.Start(ctx); err != nil {
			t.Errorf("cache: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	cl, err := client.New(cfg, client.Options{Scheme: scheme, Cache: &client.CacheOptions{Reader: c}})
	if err != nil {
		t.Fatal(err)
	}
	return cl, c
}

// A follower's webhook asks the leader, through the refresh annotation, to
// look at exactly the Applications the push concerns.
func TestFollowerPassesAPushToTheLeader(t *testing.T) {
	ctx := context.Background()
	cl := directClient(t)
	pushed := seedApp("follower-pushed", "https://git.example.com/team/shop.git", "shop")
	other := seedApp("follower-other", "https://git.example.com/team/other.git", "other")
	// The index lists the cache's own objects: with an annotation, the
	// listed Application is the map the cache holds.
	pushed.Annotations = map[string]string{"team": "shop"}
	for _, app := range []*v1alpha1.Application{pushed, other} {
		app.Spec.SyncPolicy = nil
		if err := cl.Create(ctx, app); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cl.Delete(context.Background(), app) })
	}
	git, err := source.NewGit(source.GitOptions{CacheDir: t.TempDir(), AllowFileRepositories: true})
	if err != nil {
		t.Fatal(err)
	}
	// Through a cache, as in a replica: Refresh reads what the cache
	// holds without copying it, and must leave it as it is.
	cached, informers := cachedClient(t)
	apps := appcache.NewIndex(informers, controlPlane)
	var seen *appcache.Application
	if err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		list, _, err := apps.List(ctx)
		for _, app := range list {
			if app.Name == pushed.Name {
				seen = app
			}
		}
		return seen != nil, err
	}); err != nil {
		t.Fatalf("the cache never held %s: %v", pushed.Name, err)
	}
	r := &Reconciler{Client: cached, Apps: apps, Opts: Options{Namespace: controlPlane}, Fetcher: &source.Fetcher{Git: git}, Clock: clock.RealClock{},
		Elected: make(chan struct{}), refreshes: make(chan event.GenericEvent, 1)}
	n, err := r.Refresh(ctx, source.Push{URLs: []string{"https://git.example.com/team/shop"}, Ref: "refs/heads/main", DefaultBranch: "main"})
	if err != nil || n != 1 {
		t.Fatalf("Refresh = %d, %v; want 1 Application", n, err)
	}
	if len(r.refreshes) != 0 {
		t.Error("a follower queued the refresh itself")
	}
	// seen is the cache's object.
	if _, annotated := seen.Annotations[v1alpha1.AnnotationRefresh]; annotated {
		t.Errorf("the refresh was written into the cache's object: annotations %v", seen.Annotations)
	}
	for name, want := range map[string]bool{"follower-pushed": true, "follower-other": false} {
		app := &v1alpha1.Application{}
		if err := cl.Get(ctx, client.ObjectKey{Namespace: controlPlane, Name: name}, app); err != nil {
			t.Fatal(err)
		}
		if _, got := app.Annotations[v1alpha1.AnnotationRefresh]; got != want {
			t.Errorf("%s carries the refresh annotation: %v, want %v", name, got, want)
		}
	}
}

// The leader queues at once the Applications whose files a push changed,
// and the others of the repository untouchedDelay later, each with what
// the queue and the shard's predicate read.
func TestLeaderQueuesWhatAPushChangedFirst(t *testing.T) {
	ctx := context.Background()
	cl := directClient(t)
	repo := "https://git.example.com/team/leader-queue.git"
	changed := seedApp("leader-changed", repo, "leader-changed")
	unchanged := seedApp("leader-unchanged", repo, "leader-unchanged")
	unchanged.Spec.Source.Path = "elsewhere"
	unchanged.Spec.Destination = v1alpha1.ApplicationDestination{Name: "in-cluster", Namespace: "leader-unchanged"}
	for _, app := range []*v1alpha1.Application{changed, unchanged} {
		app.Spec.SyncPolicy = nil
		if err := cl.Create(ctx, app); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cl.Delete(context.Background(), app) })
	}
	git, err := source.NewGit(source.GitOptions{CacheDir: t.TempDir(), AllowFileRepositories: true})
	if err != nil {
		t.Fatal(err)
	}
	cached, informers := cachedClient(t)
	if err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		var list v1alpha1.ApplicationList
		err := cached.List(ctx, &list, client.InNamespace(controlPlane))
		found := 0
		for _, app := range list.Items {
			if app.Name == changed.Name || app.Name == unchanged.Name {
				found++
			}
		}
		return found == 2, err
	}); err != nil {
		t.Fatalf("the cache never held both Applications: %v", err)
	}
	r := &Reconciler{Client: cached, Apps: appcache.NewIndex(informers, controlPlane), Opts: Options{Namespace: controlPlane},
		Fetcher: &source.Fetcher{Git: git}, Clock: clock.RealClock{}, refreshes: make(chan event.GenericEvent, 4)}
	pushed := time.Now()
	n, err := r.Refresh(ctx, source.Push{URLs: []string{repo}, Ref: "refs/heads/main", DefaultBranch: "main", Files: []string{"guestbook/deploy.yaml"}})
	if err != nil || n != 2 {
		t.Fatalf("Refresh = %d, %v; want 2 Applications", n, err)
	}
	next := func() client.Object {
		t.Helper()
		select {
		case e := <-r.refreshes:
			return e.Object
		case <-time.After(untouchedDelay + 10*time.Second):
			t.Fatal("nothing was queued")
			return nil
		}
	}
	if got := next(); got.GetName() != changed.Name || time.Since(pushed) >= untouchedDelay {
		t.Errorf("first queued %s after %s; want %s at once", got.GetName(), time.Since(pushed), changed.Name)
	}
	got, ok := next().(*v1alpha1.Application)
	if !ok {
		t.Fatalf("the untouched Application was queued as %T, want a key and a destination", got)
	}
	if waited := time.Since(pushed); waited < untouchedDelay {
		t.Errorf("%s was queued after %s, before the changed ones had %s", got.Name, waited, untouchedDelay)
	}
	if got.Namespace != controlPlane || got.Name != unchanged.Name || got.Spec.Destination != unchanged.Spec.Destination {
		t.Errorf("queued %s/%s to %+v; want %s/%s to %+v", got.Namespace, got.Name, got.Spec.Destination,
			controlPlane, unchanged.Name, unchanged.Spec.Destination)
	}
	// It waited as a key and a destination, not as the listed Application.
	if got.Spec.Source != nil || got.Spec.Project != "" {
		t.Errorf("queued %s with its spec %+v; want its key and destination only", got.Name, got.Spec)
	}
}
