package application

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/settings"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// startSettingsController starts the controller with the settings of the
// control-plane namespace, watched, after writing argocd-cm with data;
// argocd-cm is deleted when the test ends. It returns a function that
// replaces argocd-cm's data.
func startSettingsController(t *testing.T, data map[string]string) (client.Client, func(map[string]string)) {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx, cancel := context.WithCancel(context.Background())
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: settings.ConfigMap, Namespace: controlPlane}, Data: data}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: controlPlane}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ConfigMaps(controlPlane).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().ConfigMaps(controlPlane).Delete(context.Background(), settings.ConfigMap, metav1.DeleteOptions{})
	})
	w, err := settings.Watch(ctx, env.Config(), controlPlane)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	cl, _ := startConfiguredController(t, func(r *Reconciler) { r.Settings = w })
	set := func(data map[string]string) {
		t.Helper()
		cm, err := cs.CoreV1().ConfigMaps(controlPlane).Get(context.Background(), settings.ConfigMap, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cm.Data = data
		if _, err := cs.CoreV1().ConfigMaps(controlPlane).Update(context.Background(), cm, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return cl, set
}

// installCRD installs a namespaced CRD of kind in group, whose objects
// may hold any field, and removes it when the test ends.
func installCRD(t *testing.T, group, kind, plural string) {
	t.Helper()
	name, err := createCRD(group, kind, plural)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = crdClient().Delete(context.Background(), name, metav1.DeleteOptions{}) })
}

// createCRD creates the CustomResourceDefinition of a namespaced kind
// (unless it exists) and returns its name.
func createCRD(group, kind, plural string) (string, error) {
	def := fmt.Sprintf(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: %[3]s.%[1]s}
spec:
  group: %[1]s
  scope: Namespaced
  names: {plural: %[3]s, singular: %[4]s, kind: %[2]s}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`, group, kind, plural, strings.ToLower(kind))
	var crd unstructured.Unstructured
	if err := yaml.Unmarshal([]byte(def), &crd.Object); err != nil {
		return "", err
	}
	if _, err := crdClient().Create(context.Background(), &crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", err
	}
	return crd.GetName(), nil
}

func crdClient() dynamic.ResourceInterface {
	return dynamic.NewForConfigOrDie(env.Config()).Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
}

// widgetHealth is the Application's health and that of its one resource.
func widgetHealth(t *testing.T, cl client.Client, name string) (v1alpha1.HealthStatusCode, v1alpha1.HealthStatus) {
	t.Helper()
	a := appStatus(t, cl, name)
	if len(a.Status.Resources) != 1 || a.Status.Resources[0].Health == nil {
		return a.Status.Health.Status, v1alpha1.HealthStatus{}
	}
	return a.Status.Health.Status, *a.Status.Resources[0].Health
}

// A Lua health customization for a custom kind decides the health of its
// objects, and a change to it in argocd-cm takes effect without a restart.
func TestHealthCustomizationFollowsArgocdCM(t *testing.T) {
	installCRD(t, "custom.capstan.dev", "Widget", "widgets")
	cl, set := startSettingsController(t, map[string]string{
		"resource.customizations.health.custom.capstan.dev_Widget": `
hs = {}
if obj.spec.size > 2 then
  hs.status = "Suspended"
  hs.message = "the script says " .. obj.metadata.name .. " is too big"
  return hs
end
hs.status = "Healthy"
return hs`,
	})
	repo := gitserver.NewRepo(t, t.TempDir(), "widgets")
	repo.Commit(t, "main", map[string]string{"guestbook/widget.yaml": "apiVersion: custom.capstan.dev/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 3\n"}, "a Widget")
	repo.SetHead(t, "main")
	if err := cl.Create(context.Background(), seedApp("widgets", repo.URL(), "widgets")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the health the script gives", func(context.Context) (bool, error) {
		app, h := widgetHealth(t, cl, "widgets")
		return app == v1alpha1.HealthStatusSuspended && h.Status == app && h.Message == "the script says w is too big", nil
	})

	set(map[string]string{"resource.customizations.health.custom.capstan.dev_Widget.cel": `obj.spec.size > 2 ? {"status": "Degraded", "message": "cel says too big"} : {"status": "Healthy"}`})
	waitFor(t, "the health the new expression gives", func(context.Context) (bool, error) {
		app, h := widgetHealth(t, cl, "widgets")
		return app == v1alpha1.HealthStatusDegraded && h.Status == app && h.Message == "cel says too big", nil
	})

	set(nil)
	waitFor(t, "the built-in health once the customization is gone", func(context.Context) (bool, error) {
		app, h := widgetHealth(t, cl, "widgets")
		return app == v1alpha1.HealthStatusHealthy && h.Status == "", nil
	})
}

// A custom health check for Deployments may read any field: a rollout is
// then assessed on the whole Deployment, read, not on what the watch keeps
// of it for the built-in check (no template). The script reads both the
// template and the status, so it follows the rollout only when it is given
// the whole object.
func TestCustomDeploymentHealthReadsTheWholeObject(t *testing.T) {
	cl, _ := startSettingsController(t, map[string]string{
		"resource.customizations.health.apps_Deployment": `
return {status = "Healthy", message = "template " .. obj.spec.template.metadata.labels.app .. ", ready " .. (obj.status.readyReplicas or 0)}`,
	})
	healthyApp(t, cl, "custom-rollout", map[string]string{"guestbook/web.yaml": deploymentYAML("web", "registry.invalid/web:1.0", 2)})
	waitFor(t, "the script's health of the rolled-out Deployment", func(context.Context) (bool, error) {
		_, h := widgetHealth(t, cl, "custom-rollout")
		return h.Message == "template web, ready 2", nil
	})
}

// In an app of apps, a child Application that is OutOfSync and not
// healthy leaves its parent Healthy, unless argocd-cm customizes the
// health of Applications.
func TestChildApplicationHealth(t *testing.T) {
	cl, set := startSettingsController(t, nil)
	repo := gitserver.NewRepo(t, t.TempDir(), "parent")
	child := `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: child
spec:
  project: default
  source: {repoURL: "` + repo.URL() + `", targetRevision: HEAD, path: child}
  destination: {server: "https://kubernetes.default.svc", namespace: child-ns}
`
	repo.Commit(t, "main", map[string]string{
		"guestbook/child.yaml":  child,
		"child/deployment.yaml": deploymentYAML("child-web", "registry.invalid/web:1", 1),
	}, "app of apps")
	repo.SetHead(t, "main")
	parent := seedApp("parent", repo.URL(), controlPlane)
	if err := cl.Create(context.Background(), parent); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the parent Synced and Healthy while its child is OutOfSync", func(context.Context) (bool, error) {
		p, c := appStatus(t, cl, "parent"), &v1alpha1.Application{}
		if err := cl.Get(context.Background(), client.ObjectKey{Namespace: controlPlane, Name: "child"}, c); err != nil {
			return false, nil
		}
		return p.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && p.Status.Health.Status == v1alpha1.HealthStatusHealthy &&
			c.Status.Sync.Status == v1alpha1.SyncStatusCodeOutOfSync && c.Status.Health.Status != "" && c.Status.Health.Status != v1alpha1.HealthStatusHealthy, nil
	})

	set(map[string]string{"resource.customizations.health.argoproj.io_Application": `
hs = {status = "Progressing", message = "waiting for the child"}
if obj.status ~= nil and obj.status.health ~= nil and obj.status.health.status == "Healthy" then
  hs.status = "Healthy"
end
return hs`})
	waitFor(t, "the parent to follow its child's health", func(context.Context) (bool, error) {
		return appStatus(t, cl, "parent").Status.Health.Status == v1alpha1.HealthStatusProgressing, nil
	})
}

// An ignoreDifferences customization in argocd-cm hides a difference from
// the comparison of every Application, and stops hiding it once removed.
func TestIgnoreDifferencesCustomization(t *testing.T) {
	ignoreReplicas := map[string]string{"resource.customizations.ignoreDifferences.apps_Deployment": "jsonPointers:\n- /spec/replicas\n"}
	cl, set := startSettingsController(t, ignoreReplicas)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	repo := gitserver.NewRepo(t, t.TempDir(), "ignored")
	repo.Commit(t, "main", map[string]string{"guestbook/deployment.yaml": deploymentYAML("ignored-web", "registry.invalid/web:1", 1)}, "web")
	repo.SetHead(t, "main")
	// Synced once, by hand, so that the difference stays for all to see.
	app := seedApp("ignored", repo.URL(), "ignored")
	app.Spec.SyncPolicy = nil
	app.Operation = &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{SyncOptions: []string{"CreateNamespace=true"}}}
	if err := cl.Create(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Synced", func(context.Context) (bool, error) {
		return appStatus(t, cl, "ignored").Status.Sync.Status == v1alpha1.SyncStatusCodeSynced, nil
	})
	patch := []byte(`{"spec":{"replicas":3}}`)
	if _, err := cs.AppsV1().Deployments("ignored").Patch(context.Background(), "ignored-web", types.MergePatchType, patch, metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}

	set(nil)
	waitFor(t, "OutOfSync once the customization is gone", func(context.Context) (bool, error) {
		return appStatus(t, cl, "ignored").Status.Sync.Status == v1alpha1.SyncStatusCodeOutOfSync, nil
	})
	set(ignoreReplicas)
	waitFor(t, "Synced again under the customization", func(context.Context) (bool, error) {
		return appStatus(t, cl, "ignored").Status.Sync.Status == v1alpha1.SyncStatusCodeSynced, nil
	})
	d, err := cs.AppsV1().Deployments("ignored").Get(context.Background(), "ignored-web", metav1.GetOptions{})
	if err != nil || *d.Spec.Replicas != 3 {
		t.Errorf("the ignored replicas were changed: %v", err)
	}
}

// The next poll follows timeout.reconciliation of the snapshot in force,
// not the value at start.
func TestNextPollFollowsSettings(t *testing.T) {
	first, _ := settings.Parse(settings.Data{settings.ConfigMap: {"timeout.reconciliation": "1h", "timeout.reconciliation.jitter": "0s"}})
	later, _ := settings.Parse(settings.Data{settings.ConfigMap: {"timeout.reconciliation": "7s", "timeout.reconciliation.jitter": "0s"}})
	static := &switchable{s: first}
	r := &Reconciler{Opts: Options{Resync: time.Minute}, Settings: static}
	st := &state{}
	st.settings, _ = r.customized(context.Background())
	if got := r.next(st); got != time.Hour {
		t.Errorf("next poll = %s, want 1h", got)
	}
	static.s = later
	st.settings, _ = r.customized(context.Background())
	if got := r.next(st); got != 7*time.Second {
		t.Errorf("next poll after the change = %s, want 7s", got)
	}
}

// switchable is a Settings whose snapshot a test replaces.
type switchable struct{ s *settings.Settings }

func (w *switchable) Current() *settings.Settings                         { return w.s }
func (w *switchable) Subscribe(func(context.Context, *settings.Settings)) {}
