package imageupdater

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iuv1 "github.com/capstan-cd/capstan/api/imageupdater/v1alpha1"
	"github.com/capstan-cd/capstan/api/v1alpha1"
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
	c, err := cache.New(env.Config(), cache.Options{Scheme: w.c.Scheme(), DefaultNamespaces: map[string]cache.Config{w.ns: {}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		t.Fatal("the cache did not sync")
	}
	w.u.Cache = c
	cycleImageUpdaterResource(t, w)
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
