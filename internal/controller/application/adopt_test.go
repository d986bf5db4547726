package application

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// An object Argo CD applied and tracks for the Application is adopted as it
// is: in sync without capstan's label, labelled in place (same UID, no
// other change) once the Application syncs automatically.
func TestObjectsTrackedByArgoCDAreAdoptedInPlace(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	const settings = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n"
	repo := gitserver.NewRepo(t, t.TempDir(), "adopted")
	repo.Commit(t, "main", map[string]string{"guestbook/settings.yaml": settings}, "settings")
	repo.SetHead(t, "main")

	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "adopted"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// What Argo CD leaves behind: its tracking-id, its field manager, no
	// capstan label.
	existing := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings","namespace":"adopted",
		"annotations":{"argocd.argoproj.io/tracking-id":"adopted:/ConfigMap:adopted/settings"}},"data":{"color":"blue"}}`
	cm, err := cs.CoreV1().ConfigMaps("adopted").Patch(ctx, "settings", types.ApplyPatchType, []byte(existing),
		metav1.PatchOptions{FieldManager: "argocd-controller", Force: ptr.To(true)})
	if err != nil {
		t.Fatal(err)
	}

	app := seedApp("adopted", repo.URL(), "adopted")
	app.Spec.SyncPolicy.Automated = nil
	if err := cl.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the manual Application to be Synced", func(ctx context.Context) (bool, error) {
		return appStatus(t, cl, "adopted").Status.Sync.Status == v1alpha1.SyncStatusCodeSynced, nil
	})
	got, err := cs.CoreV1().ConfigMaps("adopted").Get(ctx, "settings", metav1.GetOptions{})
	if err != nil || got.ResourceVersion != cm.ResourceVersion {
		t.Fatalf("a manual Application changed the object before any sync (err %v)", err)
	}

	updateApp(t, cl, "adopted", func(a *v1alpha1.Application) {
		a.Spec.SyncPolicy.Automated = &v1alpha1.SyncPolicyAutomated{Prune: true, SelfHeal: true}
	})
	waitFor(t, "the object to be labelled in place", func(ctx context.Context) (bool, error) {
		got, err = cs.CoreV1().ConfigMaps("adopted").Get(ctx, "settings", metav1.GetOptions{})
		return err == nil && got.Labels[v1alpha1.LabelCapstanManaged] == "true", err
	})
	if got.UID != cm.UID || got.Data["color"] != "blue" || got.CreationTimestamp != cm.CreationTimestamp {
		t.Errorf("adoption re-created or changed the object: uid %s→%s, data %v", cm.UID, got.UID, got.Data)
	}
	if a := appStatus(t, cl, "adopted"); a.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced || a.Status.OperationState != nil {
		t.Errorf("adoption ran a sync or left the app %s (operation %+v)", a.Status.Sync.Status, a.Status.OperationState)
	}
}
