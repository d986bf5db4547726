package application

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// TestSyncWindows: an active deny window holds back the automated sync of
// a new commit and a requested sync, with a condition saying why;
// manualSync lets the requested one through; once the window is no longer
// open the automated sync runs.
func TestSyncWindows(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	repo := gitserver.NewRepo(t, t.TempDir(), "windowed")
	commit := func(n int) string {
		return repo.Commit(t, "main", map[string]string{
			"guestbook/settings.yaml": fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: {version: \"%d\"}\n", n),
		}, fmt.Sprintf("version %d", n))
	}
	first := commit(1)
	repo.SetHead(t, "main")
	proj := &v1alpha1.AppProject{
		ObjectMeta: metav1.ObjectMeta{Name: "windowed", Namespace: controlPlane},
		Spec: v1alpha1.AppProjectSpec{SourceRepos: []string{"*"},
			Destinations: []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}}},
	}
	if err := cl.Create(ctx, proj); err != nil {
		t.Fatal(err)
	}
	setWindows := func(windows ...v1alpha1.SyncWindow) {
		t.Helper()
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			p := &v1alpha1.AppProject{}
			if err := cl.Get(ctx, types.NamespacedName{Namespace: controlPlane, Name: "windowed"}, p); err != nil {
				return err
			}
			p.Spec.SyncWindows = windows
			return cl.Update(ctx, p)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	app := seedApp("windowed", repo.URL(), "windowed")
	app.Spec.Project = "windowed"
	if err := cl.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	waitSynced(t, cl, "windowed", first)
	value := func() string {
		cm, err := cs.CoreV1().ConfigMaps("windowed").Get(ctx, "settings", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return cm.Data["version"]
	}

	// Open every minute for an hour: open whenever the test runs.
	denyNow := v1alpha1.SyncWindow{Kind: "deny", Schedule: "* * * * *", Duration: "1h", Applications: []string{"windowed"}}
	setWindows(denyNow)
	second := commit(2)
	waitFor(t, "the automated sync of the new commit to be blocked", func(ctx context.Context) (bool, error) {
		a := appStatus(t, cl, "windowed")
		return a.Status.Sync.Revision == second && hasCondition(a, v1alpha1.ApplicationConditionSyncError, "automated sync blocked by active deny sync window"), nil
	})
	if got := value(); got != "1" {
		t.Errorf("the deny window let the automated sync apply n=%s", got)
	}

	updateApp(t, cl, "windowed", func(a *v1alpha1.Application) {
		a.Operation = &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}, InitiatedBy: v1alpha1.OperationInitiator{Username: "alice"}}
	})
	waitFor(t, "the requested sync to wait for the window", func(ctx context.Context) (bool, error) {
		os := appStatus(t, cl, "windowed").Status.OperationState
		return os != nil && !os.Operation.InitiatedBy.Automated && os.Phase == v1alpha1.OperationRunning &&
			strings.HasPrefix(os.Message, "sync blocked by active deny sync window"), nil
	})
	if got := value(); got != "1" {
		t.Errorf("the deny window let a requested sync apply n=%s", got)
	}

	denyNow.ManualSync = true
	setWindows(denyNow)
	waitFor(t, "the requested sync to run under manualSync", func(ctx context.Context) (bool, error) {
		a := appStatus(t, cl, "windowed")
		os := a.Status.OperationState
		return a.Operation == nil && os != nil && os.Operation.InitiatedBy.Username == "alice" && os.Phase == v1alpha1.OperationSucceeded, nil
	})
	if got := value(); got != "2" {
		t.Errorf("after the requested sync under manualSync n=%s, want 2", got)
	}

	third := commit(3)
	waitFor(t, "manualSync to still block the automated sync", func(ctx context.Context) (bool, error) {
		a := appStatus(t, cl, "windowed")
		return a.Status.Sync.Revision == third && hasCondition(a, v1alpha1.ApplicationConditionSyncError, "automated sync blocked"), nil
	})
	if got := value(); got != "2" {
		t.Errorf("manualSync let an automated sync apply n=%s", got)
	}

	// A window that opens in two hours is not open now.
	later := time.Now().UTC().Add(2 * time.Hour)
	setWindows(v1alpha1.SyncWindow{Kind: "deny", Schedule: fmt.Sprintf("0 %d * * *", later.Hour()), Duration: "1h", Applications: []string{"windowed"}})
	waitSynced(t, cl, "windowed", third)
	if got := value(); got != "3" {
		t.Errorf("outside the window n=%s, want 3", got)
	}
	if a := appStatus(t, cl, "windowed"); hasCondition(a, v1alpha1.ApplicationConditionSyncError, "blocked") {
		t.Errorf("the blocked condition outlived the window: %+v", a.Status.Conditions)
	}
}
