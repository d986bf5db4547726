package application

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// A commit that changes only what the comparison leaves out is no
// difference: the Application stays Synced, and its automated sync neither
// runs nor writes the change. Here, a field a settings-level
// ignoreDifferences rule drops, and an annotation no comparison reads (a
// Deployment's revision, which a manifest exported from a cluster may
// carry).
func TestCommitToWhatTheComparisonLeavesOutSyncsNothing(t *testing.T) {
	cl, _ := startSettingsController(t, polled(map[string]string{"resource.customizations.ignoreDifferences.ConfigMap": "jsonPointers: [/data/ignored]\n"}))
	cs := kubernetes.NewForConfigOrDie(env.Config())
	cm := func(ns string) *corev1.ConfigMap {
		cm, err := cs.CoreV1().ConfigMaps(ns).Get(context.Background(), "settings", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return cm
	}
	for _, tc := range []struct {
		name, kind, before, after string
		written                   func(ns string) bool
	}{
		{"ignored-commit", "ConfigMap", `data: {v: "1", ignored: a}`, `data: {v: "1", ignored: b}`,
			func(ns string) bool { return cm(ns).Data["ignored"] != "a" }},
		// No rule applies to a ServiceAccount.
		{"revision-commit", "ServiceAccount", "automountServiceAccountToken: false", "  annotations: {deployment.kubernetes.io/revision: \"7\"}\nautomountServiceAccountToken: false",
			func(ns string) bool {
				sa, err := cs.CoreV1().ServiceAccounts(ns).Get(context.Background(), "settings", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				_, ok := sa.Annotations["deployment.kubernetes.io/revision"]
				return ok
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			manifest := func(rest string) map[string]string {
				return map[string]string{"guestbook/object.yaml": "apiVersion: v1\nkind: " + tc.kind + "\nmetadata:\n  name: settings\n" + rest + "\n"}
			}
			repo := gitserver.NewRepo(t, t.TempDir(), tc.name)
			first := repo.Commit(t, "main", manifest(tc.before), "first")
			repo.SetHead(t, "main")
			if err := cl.Create(context.Background(), seedApp(tc.name, repo.URL(), tc.name)); err != nil {
				t.Fatal(err)
			}
			waitSucceeded(t, cl, tc.name)
			second := repo.Commit(t, "main", manifest(tc.after), "only what the comparison leaves out")
			waitFor(t, "the second commit compared", func(context.Context) (bool, error) {
				return appStatus(t, cl, tc.name).Status.Sync.Revision == second, nil
			})
			refreshed(t, cl, tc.name)
			app := appStatus(t, cl, tc.name)
			if app.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced {
				t.Errorf("after the commit: %s, want Synced", app.Status.Sync.Status)
			}
			if got := app.Status.OperationState.SyncResult.Revision; got != first {
				t.Errorf("the last sync was of %s, want %s: the commit was synced", got, first)
			}
			if tc.written(tc.name) {
				t.Error("the change was written to the cluster")
			}
		})
	}
}

// A change of the settings the comparison depends on (here a health
// check, which is part of its key) is no change of the manifests: an
// Application whose last sync is of an older commit (a later one changed
// nothing of it) stays Synced, and no automated sync runs for it.
func TestSettingsChangeSyncsNothing(t *testing.T) {
	const name = "settings-change"
	cl, set := startSettingsController(t, polled(nil))
	repo := gitserver.NewRepo(t, t.TempDir(), name)
	first := repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": configMap("cm", "1")}, "first")
	repo.SetHead(t, "main")
	if err := cl.Create(context.Background(), seedApp(name, repo.URL(), name)); err != nil {
		t.Fatal(err)
	}
	waitSucceeded(t, cl, name)
	second := repo.Commit(t, "main", map[string]string{"elsewhere/cm.yaml": configMap("other", "1")}, "another path")
	waitFor(t, "the second commit compared", func(context.Context) (bool, error) {
		app := appStatus(t, cl, name)
		return app.Status.Sync.Revision == second && app.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced, nil
	})
	set(polled(map[string]string{"resource.customizations.health.custom.capstan.dev_Widget": "hs = {}\nhs.status = \"Healthy\"\nreturn hs\n"}))
	// The second refresh comes well after the settings reached the
	// controller, should the first have come before.
	refreshed(t, cl, name)
	refreshed(t, cl, name)
	app := appStatus(t, cl, name)
	if app.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced {
		t.Errorf("after the settings changed: %s, want Synced", app.Status.Sync.Status)
	}
	if got := app.Status.OperationState.SyncResult.Revision; got != first {
		t.Errorf("the last sync was of %s, want %s: a change of the settings synced the Application", got, first)
	}
}

// Another writer gives a ClusterRole capstan applied an aggregationRule
// its manifest lacks, and the cluster rewrites its rules: under
// ignoreAggregatedRoles that is no drift, and self-heal does not apply the
// manifest's rules again.
func TestAggregationAddedByAnotherWriterIsNoDrift(t *testing.T) {
	const name, selector = "aggregated-later", "compare.capstan.dev/aggregate-to-aggregated-later"
	cl, _ := startSettingsController(t, map[string]string{"resource.compareoptions": "ignoreAggregatedRoles: true\n"})
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	part := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-part", Labels: map[string]string{selector: "true"}},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}}},
	}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, part, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, role := range []string{name + "-part", name} {
			_ = cs.RbacV1().ClusterRoles().Delete(context.Background(), role, metav1.DeleteOptions{})
		}
	})
	repo := gitserver.NewRepo(t, t.TempDir(), name)
	repo.Commit(t, "main", map[string]string{"guestbook/role.yaml": `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ` + name + `
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get]
`}, "a ClusterRole")
	repo.SetHead(t, "main")
	if err := cl.Create(ctx, seedApp(name, repo.URL(), name)); err != nil {
		t.Fatal(err)
	}
	waitSucceeded(t, cl, name)
	synced := appStatus(t, cl, name).Status.OperationState.StartedAt

	patch := fmt.Sprintf(`{"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{%q:"true"}}]}}`, selector)
	if _, err := cs.RbacV1().ClusterRoles().Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: "role-admin"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the cluster aggregating the rules", func(ctx context.Context) (bool, error) {
		role, err := cs.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
		return err == nil && len(role.Rules) == 1 && len(role.Rules[0].Resources) == 1 && role.Rules[0].Resources[0] == "pods", nil
	})
	// The second refresh comes well after the watch brought the rewrite,
	// should the first have come before it.
	refreshed(t, cl, name)
	refreshed(t, cl, name)
	app := appStatus(t, cl, name)
	if app.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced {
		t.Errorf("after the cluster aggregated the rules: %s, want Synced under ignoreAggregatedRoles", app.Status.Sync.Status)
	}
	if started := app.Status.OperationState.StartedAt; !started.Equal(&synced) {
		t.Errorf("a sync started at %s after the first one (%s): self-heal applied the manifest's rules again", started, synced)
	}
}
