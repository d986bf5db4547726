package application

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// TestMigratedObjectRemovedFromGitIsPruned takes over an Application
// whose objects Argo CD applied (its tracking-id, its field manager, no
// capstan label), as after scaling Argo CD's controller to zero: nothing is
// re-created, and an object removed from Git afterwards is reported as
// needing a prune and pruned by the next sync, though the watch, which
// selects capstan's label, never sees it.
func TestMigratedObjectRemovedFromGitIsPruned(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	const ns = "migrated"
	configMap := func(name string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\ndata:\n  color: blue\n"
	}
	repo := gitserver.NewRepo(t, t.TempDir(), "migrated")
	repo.Commit(t, "main", map[string]string{"guestbook/kept.yaml": configMap("kept"), "guestbook/dropped.yaml": configMap("dropped")}, "two")
	repo.SetHead(t, "main")
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	uids := map[string]types.UID{}
	for _, name := range []string{"kept", "dropped"} {
		obj := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"` + name + `","namespace":"` + ns + `",
			"annotations":{"argocd.argoproj.io/tracking-id":"migrated:/ConfigMap:` + ns + `/` + name + `"}},"data":{"color":"blue"}}`
		cm, err := cs.CoreV1().ConfigMaps(ns).Patch(ctx, name, types.ApplyPatchType, []byte(obj),
			metav1.PatchOptions{FieldManager: "argocd-controller", Force: ptr.To(true)})
		if err != nil {
			t.Fatal(err)
		}
		uids[name] = cm.UID
	}

	app := seedApp("migrated", repo.URL(), ns)
	app.Spec.SyncPolicy.Automated = nil
	if err := cl.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the adopted Application to be Synced", func(ctx context.Context) (bool, error) {
		a := appStatus(t, cl, "migrated")
		return a.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && len(a.Status.Resources) == 2, nil
	})

	repo.Commit(t, "main", map[string]string{"guestbook/dropped.yaml": ""}, "drop one")
	updateApp(t, cl, "migrated", func(a *v1alpha1.Application) {
		a.Annotations = map[string]string{v1alpha1.AnnotationRefresh: "normal"}
	})
	waitFor(t, "the object removed from Git to need a prune", func(ctx context.Context) (bool, error) {
		a := appStatus(t, cl, "migrated")
		for _, rs := range a.Status.Resources {
			if rs.Name == "dropped" {
				return a.Status.Sync.Status == v1alpha1.SyncStatusCodeOutOfSync && rs.RequiresPruning, nil
			}
		}
		return false, nil
	})

	op := v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Prune: true}, InitiatedBy: v1alpha1.OperationInitiator{Username: "alice"}}
	updateApp(t, cl, "migrated", func(a *v1alpha1.Application) { a.Operation = &op })
	waitFor(t, "the object removed from Git to be pruned", func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "dropped", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	kept, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "kept", metav1.GetOptions{})
	if err != nil || kept.UID != uids["kept"] {
		t.Errorf("the object still in Git was re-created or lost: uid %s, want %s (err %v)", kept.UID, uids["kept"], err)
	}
}

// TestMigrationAdoptsEveryObjectInPlace takes over an automated
// Application whose Deployment, Service and ConfigMap Argo CD created as
// it does by default (client-side apply: its field manager, kubectl's
// last-applied-configuration, the tracking-id): once capstan has labelled
// them all, every object keeps its UID and no sync ran.
func TestMigrationAdoptsEveryObjectInPlace(t *testing.T) {
	cl := startController(t)
	ctx := context.Background()
	const ns = "migrated-all"
	files := map[string]string{
		"guestbook/deployment.yaml": deploymentYAML("web", "registry.invalid/web:1", 1),
		"guestbook/service.yaml":    serviceYAML,
		"guestbook/settings.yaml":   configMapYAML("settings", nil),
	}
	repo := gitserver.NewRepo(t, t.TempDir(), "migrated-all")
	repo.Commit(t, "main", files, "three")
	repo.SetHead(t, "main")
	cs := kubernetes.NewForConfigOrDie(env.Config())
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dyn := dynamic.NewForConfigOrDie(env.Config())
	resources := map[string]schema.GroupVersionResource{
		"Deployment": {Group: "apps", Version: "v1", Resource: "deployments"},
		"Service":    {Version: "v1", Resource: "services"},
		"ConfigMap":  {Version: "v1", Resource: "configmaps"},
	}
	before := map[string]types.UID{}
	resourceOf := func(obj *unstructured.Unstructured) dynamic.ResourceInterface {
		return dyn.Resource(resources[obj.GetKind()]).Namespace(ns)
	}
	var objs []*unstructured.Unstructured
	for _, content := range files {
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(content), &obj.Object); err != nil {
			t.Fatal(err)
		}
		obj.SetNamespace(ns)
		lastApplied, err := json.Marshal(obj.Object)
		if err != nil {
			t.Fatal(err)
		}
		obj.SetAnnotations(map[string]string{
			"argocd.argoproj.io/tracking-id":                   fmt.Sprintf("migrated-all:%s/%s:%s/%s", obj.GroupVersionKind().Group, obj.GetKind(), ns, obj.GetName()),
			"kubectl.kubernetes.io/last-applied-configuration": string(lastApplied),
		})
		created, err := resourceOf(obj).Create(ctx, obj, metav1.CreateOptions{FieldManager: "argocd-controller"})
		if err != nil {
			t.Fatal(err)
		}
		before[created.GetKind()+"/"+created.GetName()] = created.GetUID()
		objs = append(objs, created)
	}

	if err := cl.Create(ctx, seedApp("migrated-all", repo.URL(), ns)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every object to be labelled in place", func(ctx context.Context) (bool, error) {
		for _, obj := range objs {
			got, err := resourceOf(obj).Get(ctx, obj.GetName(), metav1.GetOptions{})
			if err != nil || got.GetLabels()[v1alpha1.LabelCapstanManaged] != "true" {
				return false, nil
			}
		}
		return true, nil
	})
	for _, obj := range objs {
		got, err := resourceOf(obj).Get(ctx, obj.GetName(), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if key := got.GetKind() + "/" + got.GetName(); got.GetUID() != before[key] {
			t.Errorf("%s was re-created: uid %s, was %s", key, got.GetUID(), before[key])
		}
	}
	// The labels land before the status: capstan may hold the first status
	// while the Deployment rolls out, so wait for it rather than read it once.
	waitFor(t, "the adopted Application to report Synced", func(ctx context.Context) (bool, error) {
		return appStatus(t, cl, "migrated-all").Status.Sync.Status == v1alpha1.SyncStatusCodeSynced, nil
	})
	if a := appStatus(t, cl, "migrated-all"); a.Status.OperationState != nil {
		t.Errorf("adoption ran a sync: operation %+v", a.Status.OperationState)
	}
}
