package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
	"github.com/capstan-cd/capstan/internal/testenv/registry"
)

// imageApp is a namespace with argocd-cm allowing file repositories, a
// registries.conf for reg, a repository whose kustomization runs
// <reg>/org/web:1.0.0, and an Application of it whose annotations keep the
// image at the newest 1.x.
func imageApp(t *testing.T, reg *registry.Registry, annotations map[string]string) (*v1alpha1.Application, client.Client) {
	t.Helper()
	cl := clusterClient(t)
	ns := fmt.Sprintf("iu-cli-%d", time.Now().UnixNano())
	image := reg.Host + "/org/web"
	repo := gitserver.NewRepo(t, t.TempDir(), "apps")
	repo.Commit(t, "main", map[string]string{
		"web/kustomization.yaml": "resources: [deployment.yaml]\n",
		"web/deployment.yaml":    strings.ReplaceAll(guestbook["guestbook/deployment.yaml"], "gcr.io/heptio-images/ks-guestbook-demo:0.2", image+":1.0.0"),
	}, "web")
	repo.SetHead(t, "main")
	annotations["argocd-image-updater.argoproj.io/image-list"] = "web=" + image + ":1.x"
	app := &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, Annotations: annotations},
		Spec: v1alpha1.ApplicationSpec{
			Project:     "default",
			Source:      &v1alpha1.ApplicationSource{RepoURL: repo.URL(), TargetRevision: "HEAD", Path: "web"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: ns},
			SyncPolicy:  &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{}},
		},
	}
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "argocd-cm", Namespace: ns}, Data: map[string]string{"capstan.allowFileRepositories": "true"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "regcreds", Namespace: ns}, StringData: map[string]string{"creds": reg.Username + ":" + reg.Password}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "argocd-image-updater-config", Namespace: ns}, Data: map[string]string{"registries.conf": fmt.Sprintf(
			"registries:\n- name: test\n  api_url: http://%s\n  prefix: %s\n  credentials: secret:%s/regcreds#creds\n", reg.Host, reg.Host, ns)}},
		app,
	} {
		if err := cl.Create(t.Context(), obj); err != nil {
			t.Fatal(err)
		}
	}
	return app, cl
}

func TestImageUpdaterPlanWritesNothing(t *testing.T) {
	reg := registry.Start(t, registry.Options{})
	reg.PushTags(t, "org/web", "1.0.0", "1.2.0", "2.0.0")
	app, cl := imageApp(t, reg, map[string]string{
		"argocd-image-updater.argoproj.io/web.force-update":         "true",
		"argocd-image-updater.argoproj.io/web.kustomize.image-name": reg.Host + "/org/web",
	})
	// What runs comes from the spec when nothing runs yet (force-update).
	app.Spec.Source.Kustomize = &v1alpha1.ApplicationSourceKustomize{Images: v1alpha1.KustomizeImages{v1alpha1.KustomizeImage(reg.Host + "/org/web:1.0.0")}}
	if err := cl.Update(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := NewRootCommand()
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"image-updater", "plan", "--kubeconfig", env.Cluster.Kubeconfig, "--namespace", app.Namespace, "--cache-dir", t.TempDir()})
	if err := cmd.ExecuteContext(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := app.Namespace + "/web: would update " + reg.Host + "/org/web 1.0.0 -> 1.2.0 (write-back argocd)\n"
	if out.String() != want {
		t.Errorf("plan printed %q, want %q", out.String(), want)
	}
	var got v1alpha1.Application
	if err := cl.Get(t.Context(), client.ObjectKeyFromObject(app), &got); err != nil {
		t.Fatal(err)
	}
	if img := got.Spec.Source.Kustomize.Images; len(img) != 1 || img[0] != v1alpha1.KustomizeImage(reg.Host+"/org/web:1.0.0") {
		t.Errorf("plan changed the Application's images to %v", img)
	}
}

// TestRunUpdatesImageAndSyncs runs `capstan run` as a user would: the
// controller syncs the Application, the image updater sees the running
// image in its status, finds a newer tag in the registry, writes it back
// on the Application, and the controller rolls the Deployment to it.
func TestRunUpdatesImageAndSyncs(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	reg := registry.Start(t, registry.Options{})
	reg.PushTags(t, "org/web", "1.0.0", "1.1.0", "2.0.0")
	app, cl := imageApp(t, reg, map[string]string{})

	// Its own process, as a user runs it: controllers register by name
	// once per process, and other tests of the package run capstan in
	// theirs.
	r := startCommand(t, "run", "iu", app.Namespace, "--server-address", freeAddress(t), "--image-updater-interval", "1s")
	defer func() {
		if t.Failed() {
			r.tail(t)
		}
	}()

	want := reg.Host + "/org/web:1.1.0"
	var dep appsv1.Deployment
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		if err := cl.Get(ctx, client.ObjectKey{Namespace: app.Namespace, Name: "guestbook-ui"}, &dep); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return dep.Spec.Template.Spec.Containers[0].Image == want, nil
	})
	if err != nil {
		var got v1alpha1.Application
		_ = cl.Get(ctx, client.ObjectKeyFromObject(app), &got)
		t.Fatalf("the Deployment did not roll to %s: %v; spec.source %+v, status %+v", want, err, got.Spec.Source, got.Status.Summary)
	}
	var got v1alpha1.Application
	if err := cl.Get(ctx, client.ObjectKeyFromObject(app), &got); err != nil {
		t.Fatal(err)
	}
	if k := got.Spec.Source.Kustomize; k == nil || len(k.Images) != 1 || k.Images[0] != v1alpha1.KustomizeImage(want) {
		t.Errorf("spec.source.kustomize = %+v, want the image %s", k, want)
	}
	if err := r.stop(); err != nil {
		t.Errorf("capstan run: %v", err)
	}
}
