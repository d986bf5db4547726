package application

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// repeatApp is a manually synced Application of one ConfigMap, compared
// OutOfSync and ready for a request.
func repeatApp(t *testing.T, cl client.Client, name string) {
	t.Helper()
	repo := gitserver.NewRepo(t, t.TempDir(), name)
	repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": configMap("settings", "blue")}, "a ConfigMap")
	repo.SetHead(t, "main")
	manualApp(t, cl, name, repo.URL())
	waitFor(t, name+" to be compared OutOfSync", func(context.Context) (bool, error) {
		return appStatus(t, cl, name).Status.Sync.Status == v1alpha1.SyncStatusCodeOutOfSync, nil
	})
}

// requestDone writes op as the Application's operation and waits until it
// is cleared with history entries recorded; it returns the Application
// as it then is.
func requestDone(t *testing.T, cl client.Client, name string, op v1alpha1.Operation, entries int) *v1alpha1.Application {
	t.Helper()
	updateApp(t, cl, name, func(a *v1alpha1.Application) { a.Operation = op.DeepCopy() })
	var got *v1alpha1.Application
	waitFor(t, "the request to run and be cleared", func(context.Context) (bool, error) {
		got = appStatus(t, cl, name)
		os := got.Status.OperationState
		return got.Operation == nil && os != nil && os.Phase.Completed() && len(got.Status.History) >= entries, nil
	})
	if os := got.Status.OperationState; os.Phase != v1alpha1.OperationSucceeded {
		t.Fatalf("the sync of %s ended %s: %s", name, os.Phase, os.Message)
	}
	return got
}

// A user who asks for the very same sync twice (same initiator, same
// options: clicking Sync again, `capstan app sync` again, or a script that
// patches .operation) gets two syncs: the second re-applies what drifted
// and records its own run, and its request is cleared too.
func TestTheSameSyncRequestedTwiceRunsTwice(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	repeatApp(t, cl, "sync-twice")
	op := v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Prune: true}, InitiatedBy: v1alpha1.OperationInitiator{Username: "alice"}}

	first := requestDone(t, cl, "sync-twice", op, 1)
	// Someone changes the ConfigMap; the Application has no self-heal, so
	// only a sync puts it back.
	cm, err := cs.CoreV1().ConfigMaps("sync-twice").Get(ctx, "settings", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["v"] = "red"
	if _, err := cs.CoreV1().ConfigMaps("sync-twice").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the drift to be seen", func(context.Context) (bool, error) {
		return appStatus(t, cl, "sync-twice").Status.Sync.Status == v1alpha1.SyncStatusCodeOutOfSync, nil
	})

	second := requestDone(t, cl, "sync-twice", op, 2)
	if h := second.Status.History; len(h) != 2 || h[1].InitiatedBy.Username != "alice" {
		t.Errorf("history after the second request: %+v; want two entries, the last by alice", h)
	}
	a, b := first.Status.OperationState, second.Status.OperationState
	if b.FinishedAt == nil || a.FinishedAt == nil || b.StartedAt.Before(a.FinishedAt) {
		t.Errorf("the second operation started %v, before the first finished (%v): it is not a new run", b.StartedAt, a.FinishedAt)
	}
	cm, err = cs.CoreV1().ConfigMaps("sync-twice").Get(ctx, "settings", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["v"] != "blue" {
		t.Errorf("the second sync left the ConfigMap's v %q; want blue again", cm.Data["v"])
	}
}

// clearFails is a client whose writes that clear an Application's
// operation are refused (never reach the API server) while fail says so;
// before, when set, runs before each such write.
type clearFails struct {
	client.Client
	app    string
	fail   func() bool
	before func()
	failed atomic.Int64
}

func (c *clearFails) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	if obj.GetName() == c.app {
		data, err := patch.Data(obj)
		var fields map[string]any
		if err == nil && json.Unmarshal(data, &fields) == nil {
			if op, ok := fields["operation"]; ok && op == nil {
				if c.before != nil {
					c.before()
				}
				if c.fail != nil && c.fail() {
					c.failed.Add(1)
					// Refused, as the API server refuses a write it
					// cannot make now.
					return apierrors.NewServiceUnavailable("clearing the operation failed (test)")
				}
			}
		}
	}
	return c.Client.Patch(ctx, obj, patch, opts...)
}

// applies counts the controller's writes of the ConfigMap settings in
// namespace ns.
func applies(requests *requests, ns string) int {
	n := 0
	for _, w := range requests.written() {
		if strings.HasSuffix(w, "/namespaces/"+ns+"/configmaps/settings") {
			n++
		}
	}
	return n
}

// A request whose clearing failed once is still in the Application when
// the next pass reads it: that pass clears it and does not run it again.
func TestARequestWhoseClearingFailedRunsOnce(t *testing.T) {
	var once atomic.Bool
	wrapped := &clearFails{app: "clear-fails", fail: func() bool { return once.CompareAndSwap(false, true) }}
	cl, requests := startWrappedController(t, func(c client.Client) client.Client { wrapped.Client = c; return wrapped })
	repeatApp(t, cl, "clear-fails")
	op := v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}, InitiatedBy: v1alpha1.OperationInitiator{Username: "alice"}}
	got := requestDone(t, cl, "clear-fails", op, 1)
	if wrapped.failed.Load() != 1 {
		t.Fatalf("%d clearings failed, want 1: the test did not fail the write it means to", wrapped.failed.Load())
	}
	if n := len(got.Status.History); n != 1 {
		t.Errorf("%d history entries once the request was cleared, want 1: the request ran again", n)
	}
	if n := applies(requests, "clear-fails"); n != 1 {
		t.Errorf("the ConfigMap was applied %d times, want once:\n%s", n, strings.Join(requests.written(), "\n"))
	}
}

// A user's edit of the Application's spec that lands between the write
// recording the finished operation and the one clearing its request makes
// the clearing conflict: the request is still cleared, not run again.
func TestARequestClearedAcrossASpecEditRunsOnce(t *testing.T) {
	direct := directClient(t)
	var once atomic.Bool
	wrapped := &clearFails{app: "clear-conflict"}
	wrapped.before = func() {
		if !once.CompareAndSwap(false, true) {
			return
		}
		app := &v1alpha1.Application{}
		if err := direct.Get(context.Background(), client.ObjectKey{Namespace: controlPlane, Name: "clear-conflict"}, app); err != nil {
			t.Error(err)
			return
		}
		app.Spec.Info = append(app.Spec.Info, v1alpha1.Info{Name: "edited", Value: "between the two writes"})
		if err := direct.Update(context.Background(), app); err != nil {
			t.Error(err)
		}
	}
	cl, requests := startWrappedController(t, func(c client.Client) client.Client { wrapped.Client = c; return wrapped })
	repeatApp(t, cl, "clear-conflict")
	op := v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}, InitiatedBy: v1alpha1.OperationInitiator{Username: "alice"}}
	got := requestDone(t, cl, "clear-conflict", op, 1)
	if !once.Load() || len(got.Spec.Info) != 1 {
		t.Fatalf("the spec was not edited between the writes (info %+v): the test did not do what it means to", got.Spec.Info)
	}
	if n := len(got.Status.History); n != 1 {
		t.Errorf("%d history entries once the request was cleared, want 1: the request ran again", n)
	}
	if n := applies(requests, "clear-conflict"); n != 1 {
		t.Errorf("the ConfigMap was applied %d times, want once:\n%s", n, strings.Join(requests.written(), "\n"))
	}
}
