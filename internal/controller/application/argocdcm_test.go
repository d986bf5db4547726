package application

import (
	"context"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// syncedOnceApp is seedApp without automated sync, synced once by hand.
func syncedOnceApp(name, repoURL, namespace string) *v1alpha1.Application {
	app := seedApp(name, repoURL, namespace)
	app.Spec.SyncPolicy = nil
	app.Operation = &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{SyncOptions: []string{"CreateNamespace=true"}}}
	return app
}

func syncStatus(t *testing.T, cl client.Client, name string) v1alpha1.SyncStatusCode {
	t.Helper()
	return appStatus(t, cl, name).Status.Sync.Status
}

// polled adds to argocd-cm's data a poll interval short enough for a
// test to see its commits.
func polled(data map[string]string) map[string]string {
	out := map[string]string{"timeout.reconciliation": "1s", "timeout.reconciliation.jitter": "0s"}
	for k, v := range data {
		out[k] = v
	}
	return out
}

const secretYAML = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: left-alone\nstringData:\n  token: t\n"

// An excluded kind in a render is neither applied nor pruned, and the
// Application says so in a warning; the exclusion follows argocd-cm.
func TestResourceExclusions(t *testing.T) {
	excludeSecrets := polled(map[string]string{"resource.exclusions": "- apiGroups: ['']\n  kinds: [Secret]\n  clusters: ['*']\n"})
	cl, set := startSettingsController(t, excludeSecrets)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	repo := gitserver.NewRepo(t, t.TempDir(), "excluded")
	repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": configMapYAML("kept", nil), "guestbook/secret.yaml": secretYAML}, "a ConfigMap and a Secret")
	repo.SetHead(t, "main")
	if err := cl.Create(ctx, seedApp("excluded", repo.URL(), "excluded")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Synced with the ConfigMap alone and a warning naming the Secret", func(context.Context) (bool, error) {
		app := appStatus(t, cl, "excluded")
		return app.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && len(app.Status.Resources) == 1 && app.Status.Resources[0].Kind == "ConfigMap" &&
			hasCondition(app, v1alpha1.ApplicationConditionExcludedResourceWarning, "Secret excluded/left-alone"), nil
	})
	if _, err := cs.CoreV1().Secrets("excluded").Get(ctx, "left-alone", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the excluded Secret was applied (get: %v)", err)
	}

	set(polled(nil))
	waitFor(t, "the Secret applied once the exclusion is gone", func(ctx context.Context) (bool, error) {
		app := appStatus(t, cl, "excluded")
		_, err := cs.CoreV1().Secrets("excluded").Get(ctx, "left-alone", metav1.GetOptions{})
		return err == nil && app.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && len(app.Status.Resources) == 2 &&
			!hasCondition(app, v1alpha1.ApplicationConditionExcludedResourceWarning, ""), nil
	})

	set(excludeSecrets)
	waitFor(t, "the warning back", func(context.Context) (bool, error) {
		return hasCondition(appStatus(t, cl, "excluded"), v1alpha1.ApplicationConditionExcludedResourceWarning, "Secret"), nil
	})
	rev := repo.Commit(t, "main", map[string]string{"guestbook/secret.yaml": "", "guestbook/marker.yaml": configMapYAML("marker", nil)}, "the Secret removed")
	waitFor(t, "the new revision synced", func(ctx context.Context) (bool, error) {
		app := appStatus(t, cl, "excluded")
		_, err := cs.CoreV1().ConfigMaps("excluded").Get(ctx, "marker", metav1.GetOptions{})
		return err == nil && app.Status.Sync.Revision == rev && app.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced, nil
	})
	if _, err := cs.CoreV1().Secrets("excluded").Get(ctx, "left-alone", metav1.GetOptions{}); err != nil {
		t.Fatalf("the excluded Secret was pruned (get: %v)", err)
	}
}

// The label methods write the instance label under
// application.instanceLabelKey, prune by it, and a change of method or
// key in argocd-cm relabels the objects without a restart.
func TestInstanceLabelKeyAndTrackingMethod(t *testing.T) {
	const key = "argocd.argoproj.io/instance"
	cl, set := startSettingsController(t, polled(map[string]string{"application.resourceTrackingMethod": "label", "application.instanceLabelKey": key}))
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	repo := gitserver.NewRepo(t, t.TempDir(), "labelled")
	repo.Commit(t, "main", map[string]string{"guestbook/a.yaml": configMapYAML("a", nil), "guestbook/b.yaml": configMapYAML("b", nil)}, "two ConfigMaps")
	repo.SetHead(t, "main")
	if err := cl.Create(ctx, seedApp("labelled", repo.URL(), "labelled")); err != nil {
		t.Fatal(err)
	}
	tracked := func(ctx context.Context, name string, labels map[string]string, annotated bool) bool {
		cm, err := cs.CoreV1().ConfigMaps("labelled").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false
		}
		for k, v := range labels {
			if got, ok := cm.Labels[k]; ok != (v != "") || got != v {
				return false
			}
		}
		_, has := cm.Annotations[v1alpha1.AnnotationTrackingID]
		return has == annotated
	}
	waitFor(t, "both ConfigMaps labelled under the key, without tracking-id", func(ctx context.Context) (bool, error) {
		want := map[string]string{key: "labelled", "app.kubernetes.io/instance": ""}
		return tracked(ctx, "a", want, false) && tracked(ctx, "b", want, false) && syncStatus(t, cl, "labelled") == v1alpha1.SyncStatusCodeSynced, nil
	})

	repo.Commit(t, "main", map[string]string{"guestbook/b.yaml": ""}, "b removed")
	waitFor(t, "b pruned, found by its instance label", func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ConfigMaps("labelled").Get(ctx, "b", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})

	set(polled(map[string]string{"application.resourceTrackingMethod": "annotation+label"}))
	waitFor(t, "a tracked by annotation and the default label, the old key gone", func(ctx context.Context) (bool, error) {
		return tracked(ctx, "a", map[string]string{key: "", "app.kubernetes.io/instance": "labelled"}, true) &&
			syncStatus(t, cl, "labelled") == v1alpha1.SyncStatusCodeSynced, nil
	})
}

// resource.compareoptions' ignoreResourceStatusField: none compares the
// status a manifest gives a custom resource; the default, all, does not.
func TestCompareOptionsStatusField(t *testing.T) {
	installCRD(t, "status.capstan.dev", "Gadget", "gadgets")
	compareStatus := map[string]string{"resource.compareoptions": "ignoreResourceStatusField: none\n"}
	cl, set := startSettingsController(t, compareStatus)
	ctx := context.Background()
	repo := gitserver.NewRepo(t, t.TempDir(), "gadgets")
	repo.Commit(t, "main", map[string]string{"guestbook/gadget.yaml": "apiVersion: status.capstan.dev/v1\nkind: Gadget\nmetadata:\n  name: g\nspec:\n  size: 1\nstatus:\n  phase: Ready\n"}, "a Gadget")
	repo.SetHead(t, "main")
	if err := cl.Create(ctx, syncedOnceApp("gadgets", repo.URL(), "gadgets")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Synced", func(context.Context) (bool, error) {
		return syncStatus(t, cl, "gadgets") == v1alpha1.SyncStatusCodeSynced, nil
	})
	gadgets := dynamic.NewForConfigOrDie(env.Config()).Resource(schema.GroupVersionResource{Group: "status.capstan.dev", Version: "v1", Resource: "gadgets"}).Namespace("gadgets")
	if _, err := gadgets.Patch(ctx, "g", types.MergePatchType, []byte(`{"status":{"phase":"Broken"}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "OutOfSync on the status", func(context.Context) (bool, error) {
		return syncStatus(t, cl, "gadgets") == v1alpha1.SyncStatusCodeOutOfSync, nil
	})
	set(nil)
	waitFor(t, "Synced once status is ignored", func(context.Context) (bool, error) {
		return syncStatus(t, cl, "gadgets") == v1alpha1.SyncStatusCodeSynced, nil
	})
	set(compareStatus)
	waitFor(t, "OutOfSync once status is compared again", func(context.Context) (bool, error) {
		return syncStatus(t, cl, "gadgets") == v1alpha1.SyncStatusCodeOutOfSync, nil
	})
}

// resource.compareoptions' ignoreAggregatedRoles leaves out the rules the
// cluster aggregates into a ClusterRole.
func TestCompareOptionsAggregatedRoles(t *testing.T) {
	const selector = "compare.capstan.dev/aggregate-to-gathered"
	cl, set := startSettingsController(t, map[string]string{"resource.compareoptions": "ignoreAggregatedRoles: true\n"})
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	part := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "gathered-part", Labels: map[string]string{selector: "true"}},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}}},
	}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, part, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, name := range []string{"gathered-part", "gathered"} {
			_ = cs.RbacV1().ClusterRoles().Delete(context.Background(), name, metav1.DeleteOptions{})
		}
	})
	repo := gitserver.NewRepo(t, t.TempDir(), "gathered")
	repo.Commit(t, "main", map[string]string{"guestbook/role.yaml": `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: gathered
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {` + selector + `: "true"}
rules: []
`}, "an aggregated ClusterRole")
	repo.SetHead(t, "main")
	if err := cl.Create(ctx, syncedOnceApp("gathered", repo.URL(), "gathered")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Synced with the rules aggregated", func(ctx context.Context) (bool, error) {
		role, err := cs.RbacV1().ClusterRoles().Get(ctx, "gathered", metav1.GetOptions{})
		return err == nil && len(role.Rules) > 0 && syncStatus(t, cl, "gathered") == v1alpha1.SyncStatusCodeSynced, nil
	})
	set(nil)
	waitFor(t, "OutOfSync once aggregated rules are compared", func(context.Context) (bool, error) {
		return syncStatus(t, cl, "gathered") == v1alpha1.SyncStatusCodeOutOfSync, nil
	})
}

// timeout.hard.reconciliation refreshes an Application even when polling
// is off: a commit is found without a webhook.
func TestHardReconciliation(t *testing.T) {
	cl, _ := startSettingsController(t, map[string]string{"timeout.reconciliation": "0", "timeout.hard.reconciliation": "1s"})
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	repo := gitserver.NewRepo(t, t.TempDir(), "hard")
	first := repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": configMapYAML("first", nil)}, "first")
	repo.SetHead(t, "main")
	if err := cl.Create(ctx, seedApp("hard", repo.URL(), "hard")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first commit synced", func(context.Context) (bool, error) {
		app := appStatus(t, cl, "hard")
		return app.Status.Sync.Revision == first && app.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced, nil
	})
	second := repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": configMapYAML("second", nil)}, "second")
	waitFor(t, "the second commit found and synced", func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ConfigMaps("hard").Get(ctx, "second", metav1.GetOptions{})
		return err == nil && appStatus(t, cl, "hard").Status.Sync.Revision == second, nil
	})
}

// kustomize.buildOptions --load-restrictor LoadRestrictionsNone lets a
// kustomization read a file of the repository outside its directory;
// without it the render fails and nothing is applied.
func TestKustomizeBuildOptions(t *testing.T) {
	cl, set := startSettingsController(t, polled(nil))
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	repo := gitserver.NewRepo(t, t.TempDir(), "kustomized")
	repo.Commit(t, "main", map[string]string{
		"guestbook/kustomization.yaml": "configMapGenerator:\n  - name: generated\n    options: {disableNameSuffixHash: true}\n    files: [../shared/setting]\n",
		"shared/setting":               "from-shared",
	}, "a kustomization reading a shared file")
	repo.SetHead(t, "main")
	if err := cl.Create(ctx, seedApp("kustomized", repo.URL(), "kustomized")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a comparison error while loading is restricted", func(context.Context) (bool, error) {
		return hasCondition(appStatus(t, cl, "kustomized"), v1alpha1.ApplicationConditionComparisonError, "kustomize build guestbook"), nil
	})
	set(polled(map[string]string{"kustomize.buildOptions": "--load-restrictor LoadRestrictionsNone --enable-helm"}))
	waitFor(t, "the generated ConfigMap applied", func(ctx context.Context) (bool, error) {
		cm, err := cs.CoreV1().ConfigMaps("kustomized").Get(ctx, "generated", metav1.GetOptions{})
		return err == nil && cm.Data["setting"] == "from-shared" && syncStatus(t, cl, "kustomized") == v1alpha1.SyncStatusCodeSynced, nil
	})
}
