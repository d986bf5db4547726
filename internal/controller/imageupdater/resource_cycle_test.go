package imageupdater

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iuv1 "github.com/capstan-cd/capstan/api/imageupdater/v1alpha1"
	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/appcache"
)

// An ImageUpdater resource drives the same engine as the annotations: it
// selects Applications by name, gives them their images, or lets them
// keep their own annotations with useAnnotations.
func TestCycleImageUpdaterResource(t *testing.T) {
	cycleImageUpdaterResource(t, newWorld(t, nil))
}

// TestCycleImageUpdaterResourceFromCache runs the same cycle reading the
// Applications, ImageUpdaters and settings from an informer cache, as the
// controller does.
func TestCycleImageUpdaterResourceFromCache(t *testing.T) {
	w := newWorld(t, nil)
	w.readFromCache(t)
	cycleImageUpdaterResource(t, w)
}

// readFromCache makes the world's Updater read through an informer cache
// of its namespace that packs Applications, as the controller's does.
func (w *world) readFromCache(t testing.TB) cache.Cache {
	t.Helper()
	c, err := cache.New(env.Config(), cache.Options{Scheme: w.c.Scheme(), DefaultNamespaces: map[string]cache.Config{w.ns: {}},
		DefaultTransform: appcache.Transform(cache.TransformStripManagedFields())})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		t.Fatal("the cache did not sync")
	}
	w.u.Cache, w.u.Apps = c, appcache.NewIndex(c, w.ns)
	return c
}

// A cycle lists the cache's own Applications, without a copy of each, and
// copies those it keeps: whatever it then changes on them (an
// ImageUpdater's settings given as annotations, new images) stays out of
// the cache the controller and the API read.
func TestListedApplicationsAreTheCyclesOwn(t *testing.T) {
	w := newWorld(t, nil)
	c := w.readFromCache(t)
	image := w.reg.Host + "/org/web"
	w.kustomizeApp(t, "web-prod", image, "1.0.0", nil)
	w.kustomizeApp(t, "legacy", image, "1.0.0", map[string]string{p + "image-list": image + ":1.x"})
	w.kustomizeApp(t, "other", image, "1.0.0", nil)
	create(t, w.c, &iuv1.ImageUpdater{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: w.ns},
		Spec: iuv1.ImageUpdaterSpec{ApplicationRefs: []iuv1.ApplicationRef{
			{NamePattern: "web-*", Images: []iuv1.ImageConfig{{Alias: "web", ImageName: image + ":1.x"}}},
		}},
	})
	eventually(t, "the cache holds the Applications and the ImageUpdater", func() bool {
		var apps v1alpha1.ApplicationList
		var updaters iuv1.ImageUpdaterList
		return c.List(t.Context(), &apps, client.InNamespace(w.ns)) == nil && len(apps.Items) == 3 &&
			c.List(t.Context(), &updaters, client.InNamespace(w.ns)) == nil && len(updaters.Items) == 1
	})

	apps, err := w.u.listApps(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, app := range apps {
		names = append(names, app.Name)
		app.Annotations["changed"] = "by the cycle"
		app.Spec.Source.Kustomize.Images[0] = "changed:by-the-cycle"
	}
	slices.Sort(names)
	if want := []string{"legacy", "web-prod"}; !slices.Equal(names, want) {
		t.Fatalf("listed %q, want %q", names, want)
	}
	for _, name := range []string{"legacy", "web-prod", "other"} {
		var cached v1alpha1.Application
		if err := c.Get(t.Context(), keyOf(w.ns, name), &cached); err != nil {
			t.Fatal(err)
		}
		if _, ok := cached.Annotations["changed"]; ok || cached.Spec.Source.Kustomize.Images[0] != v1alpha1.KustomizeImage(image+":1.0.0") {
			t.Errorf("%s: the cycle's change reached the cache: annotations %v, images %v", name, cached.Annotations, cached.Spec.Source.Kustomize.Images)
		}
	}
}

func cycleImageUpdaterResource(t *testing.T, w *world) {
	t.Helper()
	image := w.reg.Host + "/org/web"
	w.reg.PushTags(t, "org/web", "1.0.0", "1.1.0", "2.0.0")
	w.kustomizeApp(t, "web-prod", image, "1.0.0", nil)
	w.kustomizeApp(t, "legacy", image, "1.0.0", map[string]string{p + "image-list": image + ":1.x"})
	w.kustomizeApp(t, "other", image, "1.0.0", nil)
	create(t, w.c, &iuv1.ImageUpdater{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: w.ns},
		Spec: iuv1.ImageUpdaterSpec{
			CommonUpdateSettings: &iuv1.CommonUpdateSettings{UpdateStrategy: ptr.To("semver")},
			ApplicationRefs: []iuv1.ApplicationRef{
				{NamePattern: "web-*", Images: []iuv1.ImageConfig{{Alias: "web", ImageName: image + ":1.x"}},
					WriteBackConfig: &iuv1.WriteBackConfig{Method: ptr.To("argocd")}},
				{NamePattern: "legacy", UseAnnotations: ptr.To(true)},
			},
		},
	})

	if w.u.Cache != nil {
		eventually(t, "the cache holds the Applications and the ImageUpdater", func() bool {
			var apps v1alpha1.ApplicationList
			var updaters iuv1.ImageUpdaterList
			return w.u.Cache.List(t.Context(), &apps, client.InNamespace(w.ns)) == nil && len(apps.Items) == 3 &&
				w.u.Cache.List(t.Context(), &updaters, client.InNamespace(w.ns)) == nil && len(updaters.Items) == 1
		})
	}
	r := w.cycle(t)
	if len(r.Apps) != 2 {
		t.Fatalf("looked at %d Applications, want web-prod and legacy: %+v", len(r.Apps), r.Apps)
	}
	for name, want := range map[string]string{"web-prod": image + ":1.1.0", "legacy": image + ":1.1.0", "other": image + ":1.0.0"} {
		var got v1alpha1.Application
		if err := w.c.Get(t.Context(), keyOf(w.ns, name), &got); err != nil {
			t.Fatal(err)
		}
		if img := got.Spec.Source.Kustomize.Images[0]; img != v1alpha1.KustomizeImage(want) {
			t.Errorf("%s: image %s, want %s", name, img, want)
		}
	}
}

// Without an ImageUpdater in the namespace, a cycle reads the annotations
// of the cache's own Applications in place, and copies only those with an
// image list: what it allocates for the others is a pointer or two each.
// Listed as an ApplicationList, even without copies, each Application
// would cost a shallow copy of close to a kilobyte.
func TestListingWithoutImageUpdatersLooksAtTheImageListsAlone(t *testing.T) {
	w := newWorld(t, nil)
	c := w.readFromCache(t)
	image := w.reg.Host + "/org/web"
	w.kustomizeApp(t, "legacy", image, "1.0.0", map[string]string{p + "image-list": image + ":1.x"})
	const others = 200
	for i := range others {
		create(t, w.c, &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("other-%03d", i), Namespace: w.ns},
			Spec: v1alpha1.ApplicationSpec{Project: "default", Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "default"},
				Source: &v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/deploy.git", Path: "other"}}})
	}
	eventually(t, "the cache holds the Applications", func() bool {
		var apps v1alpha1.ApplicationList
		return c.List(t.Context(), &apps, client.InNamespace(w.ns)) == nil && len(apps.Items) == others+1
	})

	list := func() {
		t.Helper()
		apps, err := w.u.listApps(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(apps) != 1 || apps[0].Name != "legacy" {
			t.Fatalf("listed %d Applications, want legacy alone", len(apps))
		}
	}
	list()
	const rounds = 10
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range rounds {
		list()
	}
	runtime.ReadMemStats(&after)
	if perApp := float64(after.TotalAlloc-before.TotalAlloc) / rounds / others; perApp > 200 {
		t.Errorf("a cycle's listing allocates %.0f bytes per Application without an image list, want it not to look at them", perApp)
	}
}
