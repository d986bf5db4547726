package application

import (
	"context"
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/resourceversion"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// A custom resource embeds a Pod spec, and something else rewrites a CPU
// limit of 1000m as 1: under knownTypeFields the two spellings of one
// quantity do not differ, without it they do; the setting follows
// argocd-cm.
func TestKnownTypeFieldsCustomization(t *testing.T) {
	installCRD(t, "custom.capstan.dev", "Canary", "canaries")
	podSpec := map[string]string{"resource.customizations.knownTypeFields.custom.capstan.dev_Canary": "- field: spec.template.spec\n  type: core/v1/PodSpec\n"}
	cl, set := startSettingsController(t, podSpec)
	repo := gitserver.NewRepo(t, t.TempDir(), "canary")
	repo.Commit(t, "main", map[string]string{"guestbook/canary.yaml": `apiVersion: custom.capstan.dev/v1
kind: Canary
metadata: {name: c}
spec:
  template:
    spec:
      containers: [{name: web, image: registry.invalid/web:1, resources: {limits: {cpu: 1000m}}}]
`}, "a Canary")
	repo.SetHead(t, "main")
	if err := cl.Create(context.Background(), syncedOnceApp("canary", repo.URL(), "canary")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Synced", func(context.Context) (bool, error) {
		return syncStatus(t, cl, "canary") == v1alpha1.SyncStatusCodeSynced, nil
	})
	canaries := dynamic.NewForConfigOrDie(env.Config()).Resource(schema.GroupVersionResource{Group: "custom.capstan.dev", Version: "v1", Resource: "canaries"}).Namespace("canary")
	patch := []byte(`{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"registry.invalid/web:1","resources":{"limits":{"cpu":"1"}}}]}}}}`)
	if _, err := canaries.Patch(context.Background(), "c", types.MergePatchType, patch, metav1.PatchOptions{FieldManager: "canary-operator"}); err != nil {
		t.Fatal(err)
	}
	// The rewrite takes the field from capstan's apply, yet under the
	// customization it is no drift: a pass that follows it still finds
	// the Application Synced. The second refresh comes well after the
	// watch brought the rewrite, should the first have come before it.
	refreshed(t, cl, "canary")
	refreshed(t, cl, "canary")
	if got := syncStatus(t, cl, "canary"); got != v1alpha1.SyncStatusCodeSynced {
		t.Fatalf("after the CPU limit was rewritten as 1: %s, want Synced under the customization", got)
	}

	set(nil)
	waitFor(t, "OutOfSync once the customization is gone", func(context.Context) (bool, error) {
		return syncStatus(t, cl, "canary") == v1alpha1.SyncStatusCodeOutOfSync, nil
	})
	set(podSpec)
	waitFor(t, "Synced again under the customization", func(context.Context) (bool, error) {
		return syncStatus(t, cl, "canary") == v1alpha1.SyncStatusCodeSynced, nil
	})
}

// refreshed asks for a normal refresh of the Application name and waits
// until the controller's cache holds the status of the pass that
// answered it.
func refreshed(t *testing.T, cl client.Client, name string) {
	t.Helper()
	app := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Namespace: controlPlane, Name: name}}
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:"normal"}}}`, v1alpha1.AnnotationRefresh)
	if err := cl.Patch(context.Background(), app, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
	asked := app.ResourceVersion
	waitFor(t, "the refresh of "+name+" answered", func(context.Context) (bool, error) {
		seen := appStatus(t, cl, name)
		_, pending := seen.Annotations[v1alpha1.AnnotationRefresh]
		newer, err := resourceversion.CompareResourceVersion(seen.ResourceVersion, asked)
		return err == nil && newer > 0 && !pending, err
	})
}
