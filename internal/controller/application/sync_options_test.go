package application

import (
	"context"
	"net/http"
	"strings"
	gosync "sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// syncAs requests a sync of the Application in user's name and waits
// for it to succeed. Each request of a test needs its own user, so that
// the wait tells its end from the end of the request before.
func syncAs(t *testing.T, cl client.Client, name, user string, sync v1alpha1.SyncOperation) *v1alpha1.OperationState {
	t.Helper()
	op := v1alpha1.Operation{Sync: &sync, InitiatedBy: v1alpha1.OperationInitiator{Username: user}}
	os := requestSync(t, cl, name, op, user+"'s sync of "+name).Status.OperationState
	if os.Phase != v1alpha1.OperationSucceeded {
		t.Fatalf("%s's sync of %s: %s: %s", user, name, os.Phase, os.Message)
	}
	return os
}

// manualApp creates an Application of repo's guestbook path without
// automated sync.
func manualApp(t *testing.T, cl client.Client, name, repoURL string) {
	t.Helper()
	app := seedApp(name, repoURL, name)
	app.Spec.SyncPolicy.Automated = nil
	if err := cl.Create(context.Background(), app); err != nil {
		t.Fatal(err)
	}
}

// Replace=true writes the whole object: a field another manager added,
// which a server-side apply leaves alone, is gone.
func TestReplaceSyncOption(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	repo := gitserver.NewRepo(t, t.TempDir(), "replace")
	repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": configMapYAML("replaced", nil)}, "cm")
	repo.SetHead(t, "main")
	manualApp(t, cl, "replace", repo.URL())
	syncAs(t, cl, "replace", "alice", v1alpha1.SyncOperation{})
	patch := []byte(`{"data":{"extra":"added by hand"}}`)
	if _, err := cs.CoreV1().ConfigMaps("replace").Patch(ctx, "replaced", types.MergePatchType, patch, metav1.PatchOptions{FieldManager: "someone"}); err != nil {
		t.Fatal(err)
	}
	extra := func() string {
		cm, err := cs.CoreV1().ConfigMaps("replace").Get(ctx, "replaced", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return cm.Data["extra"]
	}
	syncAs(t, cl, "replace", "bob", v1alpha1.SyncOperation{})
	if extra() == "" {
		t.Fatal("a server-side apply removed another manager's field; the test cannot tell Replace from it")
	}
	syncAs(t, cl, "replace", "carol", v1alpha1.SyncOperation{SyncOptions: []string{"Replace=true"}})
	if got := extra(); got != "" {
		t.Errorf("after a sync with Replace=true the ConfigMap still has the field added by hand: %q", got)
	}
}

// Force=true re-creates an object whose change the API server refuses as
// immutable; without it the sync fails naming the object.
func TestForceSyncOption(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	immutable := func(version string, annotations string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: frozen\n" + annotations + "immutable: true\ndata: {version: \"" + version + "\"}\n"
	}
	forced := "  annotations: {argocd.argoproj.io/sync-options: \"Force=true,Replace=true\"}\n"
	repo := gitserver.NewRepo(t, t.TempDir(), "force")
	first := repo.Commit(t, "main", map[string]string{"forced/cm.yaml": immutable("1", forced), "plain/cm.yaml": immutable("1", "")}, "v1")
	repo.SetHead(t, "main")
	for _, name := range []string{"forced", "plain"} {
		app := seedApp("force-"+name, repo.URL(), "force-"+name)
		app.Spec.Source.Path = name
		if err := cl.Create(ctx, app); err != nil {
			t.Fatal(err)
		}
		waitSynced(t, cl, "force-"+name, first)
	}
	before, err := cs.CoreV1().ConfigMaps("force-forced").Get(ctx, "frozen", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	second := repo.Commit(t, "main", map[string]string{"forced/cm.yaml": immutable("2", forced), "plain/cm.yaml": immutable("2", "")}, "v2")

	waitSynced(t, cl, "force-forced", second)
	after, err := cs.CoreV1().ConfigMaps("force-forced").Get(ctx, "frozen", metav1.GetOptions{})
	if err != nil || after.Data["version"] != "2" || after.UID == before.UID {
		t.Errorf("Force=true: version %q, re-created %v (%v); want version 2 in a new object", after.Data["version"], after.UID != before.UID, err)
	}
	waitFor(t, "the sync without Force to fail", func(ctx context.Context) (bool, error) {
		os := appStatus(t, cl, "force-plain").Status.OperationState
		return os != nil && os.SyncResult != nil && os.SyncResult.Revision == second && os.Phase == v1alpha1.OperationFailed, nil
	})
	if os := appStatus(t, cl, "force-plain").Status.OperationState; !strings.Contains(os.Message, "immutable") || !strings.Contains(os.Message, "ConfigMap force-plain/frozen") {
		t.Errorf("the sync without Force: %q; want the immutable ConfigMap named", os.Message)
	}
}

// ApplyOutOfSyncOnly=true on a requested sync applies only what the
// comparison found out of sync; a plain requested sync applies everything.
func TestApplyOutOfSyncOnlyOnRequestedSync(t *testing.T) {
	cl := startController(t)
	repo := gitserver.NewRepo(t, t.TempDir(), "outofsynconly")
	repo.Commit(t, "main", map[string]string{"guestbook/one.yaml": configMapYAML("one", nil), "guestbook/two.yaml": configMapYAML("two", nil)}, "two")
	repo.SetHead(t, "main")
	manualApp(t, cl, "outofsynconly", repo.URL())
	full := syncAs(t, cl, "outofsynconly", "alice", v1alpha1.SyncOperation{})
	if resultOf(full, "ConfigMap", "one") == nil || resultOf(full, "ConfigMap", "two") == nil {
		t.Fatalf("the first sync did not apply both ConfigMaps: %+v", full.SyncResult.Resources)
	}
	rev := repo.Commit(t, "main", map[string]string{"guestbook/two.yaml": configMapYAML("two", map[string]string{"changed": "yes"})}, "change two")
	waitFor(t, "the change to be compared", func(ctx context.Context) (bool, error) {
		s := appStatus(t, cl, "outofsynconly").Status.Sync
		return s.Revision == rev && s.Status == v1alpha1.SyncStatusCodeOutOfSync, nil
	})
	only := syncAs(t, cl, "outofsynconly", "bob", v1alpha1.SyncOperation{SyncOptions: []string{"ApplyOutOfSyncOnly=true"}})
	if resultOf(only, "ConfigMap", "one") != nil || resultOf(only, "ConfigMap", "two") == nil {
		t.Errorf("ApplyOutOfSyncOnly=true applied %+v; want ConfigMap two alone", only.SyncResult.Resources)
	}
}

const gizmoCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gizmos.toys.capstan.dev}
spec:
  group: toys.capstan.dev
  scope: Namespaced
  names: {plural: gizmos, singular: gizmo, kind: Gizmo}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`

// A dry run passes over a custom resource whose CRD the same sync applies,
// and, with SkipDryRunOnMissingResource=true, over one whose CRD something
// else installs; the real syncs then apply them.
func TestDryRunOfCustomResourcesWithoutTheirCRD(t *testing.T) {
	cl := startController(t)
	ctx := context.Background()
	crds := dynamic.NewForConfigOrDie(env.Config()).Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	t.Cleanup(func() { _ = crds.Delete(context.Background(), "gizmos.toys.capstan.dev", metav1.DeleteOptions{}) })
	repo := gitserver.NewRepo(t, t.TempDir(), "crds")
	repo.Commit(t, "main", map[string]string{
		"together/crd.yaml":   gizmoCRD,
		"together/gizmo.yaml": "apiVersion: toys.capstan.dev/v1\nkind: Gizmo\nmetadata:\n  name: first\nspec: {size: 1}\n",
		"operator/widget.yaml": "apiVersion: toys.capstan.dev/v1\nkind: Sprocket\nmetadata:\n  name: later\n" +
			"  annotations: {argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true}\nspec: {size: 2}\n",
	}, "custom resources")
	repo.SetHead(t, "main")
	for _, name := range []string{"together", "operator"} {
		app := seedApp("crds-"+name, repo.URL(), "crds-"+name)
		app.Spec.SyncPolicy.Automated = nil
		app.Spec.Source.Path = name
		if err := cl.Create(ctx, app); err != nil {
			t.Fatal(err)
		}
		syncAs(t, cl, "crds-"+name, "alice", v1alpha1.SyncOperation{DryRun: true})
	}
	if _, err := crds.Get(ctx, "gizmos.toys.capstan.dev", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the dry run created the CRD: %v", err)
	}

	syncAs(t, cl, "crds-together", "bob", v1alpha1.SyncOperation{})
	installCRD(t, "toys.capstan.dev", "Sprocket", "sprockets")
	syncAs(t, cl, "crds-operator", "bob", v1alpha1.SyncOperation{})
	for name, kind := range map[string]string{"first": "gizmos", "later": "sprockets"} {
		res := dynamic.NewForConfigOrDie(env.Config()).Resource(schema.GroupVersionResource{Group: "toys.capstan.dev", Version: "v1", Resource: kind})
		ns := map[string]string{"first": "crds-together", "later": "crds-operator"}[name]
		if _, err := res.Namespace(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("%s %s was not applied: %v", kind, name, err)
		}
	}
}

// A kind the destination comes to serve after a pass rendered (an
// operator installed its CRD meanwhile) is rendered again before the pass
// syncs: its custom resource gets the destination namespace, as it would
// have had the render known the kind, rather than failing the sync as
// namespaced without a namespace. The CRD is created while the pass
// compares, as its first watch of the destination starts.
func TestKindServedBetweenRenderAndSync(t *testing.T) {
	ctx := context.Background()
	counter := &requests{}
	served := make(chan error, 1)
	var once gosync.Once
	counter.before = func(req *http.Request) {
		if !strings.HasSuffix(req.URL.Path, "/configmaps") || req.URL.Query().Get("labelSelector") == "" {
			return
		}
		once.Do(func() { served <- serveKind("toys.capstan.dev", "Ratchet", "ratchets") })
	}
	cl := startCountedController(t, counter, func(*Reconciler) {})
	t.Cleanup(func() {
		_ = crdClient().Delete(context.Background(), "ratchets.toys.capstan.dev", metav1.DeleteOptions{})
	})
	repo := gitserver.NewRepo(t, t.TempDir(), "ratchets")
	repo.Commit(t, "main", map[string]string{
		"operator/a-settings.yaml": configMapYAML("settings", nil),
		"operator/b-ratchet.yaml":  "apiVersion: toys.capstan.dev/v1\nkind: Ratchet\nmetadata:\n  name: pawl\nspec: {teeth: 12}\n",
	}, "a ratchet")
	repo.SetHead(t, "main")
	app := seedApp("ratchets", repo.URL(), "ratchets")
	app.Spec.Source.Path = "operator"
	app.Spec.SyncPolicy.Automated = nil
	app.Operation = &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}, InitiatedBy: v1alpha1.OperationInitiator{Username: "bob"}}
	if err := cl.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "bob's sync", func(context.Context) (bool, error) {
		os := appStatus(t, cl, "ratchets").Status.OperationState
		return os != nil && os.Phase.Completed(), nil
	})
	select {
	case err := <-served:
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatal("the pass compared without watching ConfigMaps: the CRD was never created")
	}
	if os := appStatus(t, cl, "ratchets").Status.OperationState; os.Phase != v1alpha1.OperationSucceeded {
		t.Fatalf("bob's sync: %s: %s", os.Phase, os.Message)
	}
	res := dynamic.NewForConfigOrDie(env.Config()).Resource(schema.GroupVersionResource{Group: "toys.capstan.dev", Version: "v1", Resource: "ratchets"})
	if _, err := res.Namespace("ratchets").Get(ctx, "pawl", metav1.GetOptions{}); err != nil {
		t.Errorf("Ratchet pawl is not in the destination namespace: %v", err)
	}
}

// serveKind creates the CRD of a namespaced kind and waits until the API
// server's discovery serves the kind.
func serveKind(group, kind, plural string) error {
	if _, err := createCRD(group, kind, plural); err != nil {
		return err
	}
	dc := discovery.NewDiscoveryClientForConfigOrDie(env.Config())
	return wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		list, err := dc.ServerResourcesForGroupVersion(group + "/v1")
		if err != nil {
			return false, nil
		}
		for _, r := range list.APIResources {
			if r.Name == plural {
				return true, nil
			}
		}
		return false, nil
	})
}

// managedNamespaceMetadata is set on the namespace CreateNamespace makes,
// and a change to it is brought to the namespace by the next automated
// sync, with no commit.
func TestManagedNamespaceMetadataKeptInStep(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	repo := gitserver.NewRepo(t, t.TempDir(), "nsmeta")
	rev := repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": configMapYAML("settings", nil)}, "cm")
	repo.SetHead(t, "main")
	app := seedApp("nsmeta", repo.URL(), "nsmeta")
	app.Spec.SyncPolicy.Automated.SelfHeal = false
	app.Spec.SyncPolicy.ManagedNamespaceMetadata = &v1alpha1.ManagedNamespaceMetadata{
		Labels: map[string]string{"team": "a", "tier": "web"}, Annotations: map[string]string{"owner": "alice"}}
	if err := cl.Create(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	waitSynced(t, cl, "nsmeta", rev)
	ns, err := cs.CoreV1().Namespaces().Get(context.Background(), "nsmeta", metav1.GetOptions{})
	if err != nil || ns.Labels["team"] != "a" || ns.Labels["tier"] != "web" || ns.Annotations["owner"] != "alice" {
		t.Fatalf("the created namespace's metadata: %v %v (%v)", ns.Labels, ns.Annotations, err)
	}
	if got := appStatus(t, cl, "nsmeta").Status.OperationState.SyncResult.ManagedNamespaceMetadata; got == nil || got.Labels["team"] != "a" {
		t.Errorf("syncResult.managedNamespaceMetadata = %+v", got)
	}

	updateApp(t, cl, "nsmeta", func(a *v1alpha1.Application) {
		a.Spec.SyncPolicy.ManagedNamespaceMetadata = &v1alpha1.ManagedNamespaceMetadata{Labels: map[string]string{"team": "b"}}
	})
	waitFor(t, "the namespace to follow the Application", func(ctx context.Context) (bool, error) {
		ns, err := cs.CoreV1().Namespaces().Get(ctx, "nsmeta", metav1.GetOptions{})
		return err == nil && ns.Labels["team"] == "b" && ns.Labels["tier"] == "" && ns.Annotations["owner"] == "", err
	})
	waitSynced(t, cl, "nsmeta", rev)
}
