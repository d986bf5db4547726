package imageupdater

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// kustomizeApp is an Application of a Kustomize source whose running image
// is web at from.
func (w *world) kustomizeApp(t *testing.T, name, image, from string, annotations map[string]string) *v1alpha1.Application {
	t.Helper()
	app := &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.ns, Annotations: annotations},
		Spec: v1alpha1.ApplicationSpec{
			Project:     "default",
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "default"},
			Source: &v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/deploy.git", Path: "web",
				Kustomize: &v1alpha1.ApplicationSourceKustomize{Images: v1alpha1.KustomizeImages{v1alpha1.KustomizeImage(image + ":" + from)}}},
		},
	}
	create(t, w.c, app)
	app.Status.Summary.Images = []string{image + ":" + from}
	if err := w.c.Status().Update(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	return app
}

func TestCycleArgoCDWriteBack(t *testing.T) {
	w := newWorld(t, nil)
	image := w.reg.Host + "/org/web"
	w.reg.PushTags(t, "org/web", "1.0.0", "1.0.5", "1.1.0", "2.0.0", "latest")
	w.kustomizeApp(t, "web", image, "1.0.0", map[string]string{
		"argocd-image-updater.argoproj.io/image-list": "web=" + image + ":~1.0",
	})
	// A constraint nothing newer meets writes nothing.
	w.kustomizeApp(t, "pinned", image, "2.0.0", map[string]string{
		"argocd-image-updater.argoproj.io/image-list": image + ":2.0.x",
	})

	r := w.cycle(t)
	var got v1alpha1.Application
	if err := w.c.Get(t.Context(), keyOf(w.ns, "web"), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(v1alpha1.KustomizeImages{v1alpha1.KustomizeImage(image + ":1.0.5")}, got.Spec.Source.Kustomize.Images); diff != "" {
		t.Errorf("kustomize images (-want +got)\n%s", diff)
	}
	if err := w.c.Get(t.Context(), keyOf(w.ns, "pinned"), &got); err != nil {
		t.Fatal(err)
	}
	if img := got.Spec.Source.Kustomize.Images[0]; img != v1alpha1.KustomizeImage(image+":2.0.0") {
		t.Errorf("pinned app's image changed to %s", img)
	}
	var out bytes.Buffer
	if err := r.Print(&out, false); err != nil {
		t.Fatal(err)
	}
	if want := w.ns + "/web: updated " + image + " 1.0.0 -> 1.0.5 (write-back argocd)\n"; out.String() != want {
		t.Errorf("report = %q, want %q", out.String(), want)
	}
	eventually(t, "an ImagesUpdated Event", func() bool {
		return strings.Contains(w.eventReasons(t, "web")[ReasonImagesUpdated], "to '1.0.5'")
	})
	// Nothing newer: the next cycle writes nothing.
	w.clk.Step(w.u.interval())
	if r := w.cycle(t); r.Apps[0].Written || r.Apps[1].Written {
		t.Errorf("second cycle wrote: %+v", r.Apps)
	}
}

func TestCycleDryRunWritesNothing(t *testing.T) {
	w := newWorld(t, nil)
	image := w.reg.Host + "/org/api"
	w.reg.PushTags(t, "org/api", "1.0.0", "1.2.0")
	w.kustomizeApp(t, "api", image, "1.0.0", map[string]string{"argocd-image-updater.argoproj.io/image-list": image})
	w.u.Opts.DryRun = true

	r := w.cycle(t)
	var out bytes.Buffer
	if err := r.Print(&out, true); err != nil {
		t.Fatal(err)
	}
	if want := w.ns + "/api: would update " + image + " 1.0.0 -> 1.2.0 (write-back argocd)\n"; out.String() != want {
		t.Errorf("plan = %q, want %q", out.String(), want)
	}
	var got v1alpha1.Application
	if err := w.c.Get(t.Context(), keyOf(w.ns, "api"), &got); err != nil {
		t.Fatal(err)
	}
	if img := got.Spec.Source.Kustomize.Images[0]; img != v1alpha1.KustomizeImage(image+":1.0.0") {
		t.Errorf("a dry run changed the image to %s", img)
	}
}

func TestCycleFailingRegistryWritesNothing(t *testing.T) {
	w := newWorld(t, nil)
	image := w.reg.Host + "/org/web"
	w.reg.PushTags(t, "org/web", "1.0.0", "1.1.0")
	w.kustomizeApp(t, "web", image, "1.0.0", map[string]string{
		"argocd-image-updater.argoproj.io/image-list":        image,
		"argocd-image-updater.argoproj.io/pull-secret":       "secret:" + w.ns + "/missing#creds",
		"argocd-image-updater.argoproj.io/write-back-method": "argocd",
	})
	r := w.cycle(t)
	if r.Apps[0].Err == nil || r.Apps[0].Written {
		t.Fatalf("report = %+v, want an error and nothing written", r.Apps[0])
	}
	var got v1alpha1.Application
	if err := w.c.Get(t.Context(), keyOf(w.ns, "web"), &got); err != nil {
		t.Fatal(err)
	}
	if img := got.Spec.Source.Kustomize.Images[0]; img != v1alpha1.KustomizeImage(image+":1.0.0") {
		t.Errorf("image changed to %s", img)
	}
	eventually(t, "an ImageUpdateFailed Event", func() bool { return w.eventReasons(t, "web")[ReasonImageUpdateFailed] != "" })
}
