package application

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// lossyStatus is a client whose status writes of one Application fail
// (never reach the API server) while lose says so.
type lossyStatus struct {
	client.Client
	app  string
	lose func(patch []byte) bool
	lost atomic.Int64
}

func (c *lossyStatus) Status() client.SubResourceWriter {
	return &lossyWriter{SubResourceWriter: c.Client.Status(), c: c}
}

type lossyWriter struct {
	client.SubResourceWriter
	c *lossyStatus
}

func (w *lossyWriter) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	if obj.GetName() == w.c.app {
		data, err := patch.Data(obj)
		if err == nil && w.c.lose(data) {
			w.c.lost.Add(1)
			return errors.New("status write lost (test)")
		}
	}
	return w.SubResourceWriter.Patch(ctx, obj, patch, opts...)
}

// jobCreations records the uid of every Job created in a namespace.
func jobCreations(t *testing.T, cs kubernetes.Interface, ns string) func() []types.UID {
	t.Helper()
	w, err := cs.BatchV1().Jobs(ns).Watch(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var uids []types.UID
	go func() {
		for ev := range w.ResultChan() {
			if ev.Type != watch.Added {
				continue
			}
			if obj, ok := ev.Object.(metav1.Object); ok {
				mu.Lock()
				uids = append(uids, obj.GetUID())
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(w.Stop)
	return func() []types.UID {
		mu.Lock()
		defer mu.Unlock()
		return append([]types.UID(nil), uids...)
	}
}

const lostWriteFiles = `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations: {argocd.argoproj.io/hook: PreSync}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: migrate:1
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data: {color: blue}
`

// The status write that records a hook's creation is lost once: the next
// pass resumes from what the cluster holds and adopts the hook rather than
// create it again, and the operation goes on to succeed.
func TestLostStatusWriteDoesNotRunAHookTwice(t *testing.T) {
	lossy := &lossyStatus{app: "lost-write"}
	var once atomic.Bool
	lossy.lose = func(patch []byte) bool {
		return strings.Contains(string(patch), `"hookPhase":"Running"`) && once.CompareAndSwap(false, true)
	}
	cl, requests := startWrappedController(t, func(c client.Client) client.Client { lossy.Client = c; return lossy })
	cs := kubernetes.NewForConfigOrDie(env.Config())
	created := jobCreations(t, cs, "lost-write")
	repo := gitserver.NewRepo(t, t.TempDir(), "lost-write")
	repo.Commit(t, "main", map[string]string{"guestbook/all.yaml": lostWriteFiles}, "a hook and a ConfigMap")
	repo.SetHead(t, "main")
	if err := cl.Create(context.Background(), seedApp("lost-write", repo.URL(), "lost-write")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the operation to succeed", func(ctx context.Context) (bool, error) {
		app := appStatus(t, cl, "lost-write")
		os := operation(t, app)
		return os.Phase == v1alpha1.OperationSucceeded && len(app.Status.History) > 0, nil
	})
	if lossy.lost.Load() != 1 {
		t.Fatalf("%d status writes were lost, want 1: the test did not lose the write it means to", lossy.lost.Load())
	}
	time.Sleep(2 * time.Second) // any pass the last writes bring about
	if uids := created(); len(uids) != 1 {
		t.Errorf("the PreSync hook was created %d times (%v), want once", len(uids), uids)
	}
	rr := resultOf(operation(t, appStatus(t, cl, "lost-write")), "Job", "migrate")
	if rr == nil || rr.HookPhase != v1alpha1.OperationSucceeded {
		t.Errorf("hook result: %+v", rr)
	}
	applies, statusWrites := 0, 0
	for _, w := range requests.written() {
		switch {
		case strings.HasSuffix(w, "/namespaces/lost-write/configmaps/settings"):
			applies++
		case strings.HasSuffix(w, "/applications/lost-write/status"):
			statusWrites++
		}
	}
	if applies > 2 || statusWrites > 8 {
		t.Errorf("%d applies of the ConfigMap and %d status writes for one operation; want at most 2 and 8:\n%s",
			applies, statusWrites, strings.Join(requests.written(), "\n"))
	}
	t.Logf("%d applies of the ConfigMap, %d status writes", applies, statusWrites)
}

// A negative or huge revisionHistoryLimit neither breaks the sync nor lets
// the history grow without bound.
func TestRevisionHistoryLimitIsClamped(t *testing.T) {
	cl := startController(t)
	for name, limit := range map[string]int64{"history-negative": -1, "history-huge": 1 << 62} {
		repo := gitserver.NewRepo(t, t.TempDir(), name)
		repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": configMapYAML("settings", nil)}, "a ConfigMap")
		repo.SetHead(t, "main")
		app := seedApp(name, repo.URL(), name)
		app.Spec.RevisionHistoryLimit = ptr.To(limit)
		if err := cl.Create(context.Background(), app); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"history-negative", "history-huge"} {
		waitFor(t, fmt.Sprintf("%s to be synced with its history recorded", name), func(ctx context.Context) (bool, error) {
			app := appStatus(t, cl, name)
			return app.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && operation(t, app).Phase == v1alpha1.OperationSucceeded &&
				len(app.Status.History) == 1, nil
		})
	}
}

// A controller stopped after it created a hook and before it recorded it
// leaves the next one (with nothing in memory) to adopt the hook, not to
// create it again.
func TestControllerStoppedBeforeRecordingAHookDoesNotRunItTwice(t *testing.T) {
	cs := kubernetes.NewForConfigOrDie(env.Config())
	created := jobCreations(t, cs, "hook-restart")
	repo := gitserver.NewRepo(t, t.TempDir(), "hook-restart")
	repo.Commit(t, "main", map[string]string{"guestbook/all.yaml": lostWriteFiles}, "a hook and a ConfigMap")
	repo.SetHead(t, "main")
	t.Run("first controller, stopped before it records the hook", func(t *testing.T) {
		// Every write that would record the hook is lost.
		lossy := &lossyStatus{app: "hook-restart", lose: func(patch []byte) bool { return strings.Contains(string(patch), `"hookPhase"`) }}
		cl, _ := startWrappedController(t, func(c client.Client) client.Client { lossy.Client = c; return lossy })
		if err := cl.Create(context.Background(), seedApp("hook-restart", repo.URL(), "hook-restart")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the hook to be created and its record lost", func(ctx context.Context) (bool, error) {
			return len(created()) > 0 && lossy.lost.Load() > 0, nil
		})
	})
	cl := startController(t)
	waitFor(t, "the second controller to finish the operation", func(ctx context.Context) (bool, error) {
		app := appStatus(t, cl, "hook-restart")
		return operation(t, app).Phase == v1alpha1.OperationSucceeded && len(app.Status.History) > 0, nil
	})
	if uids := created(); len(uids) != 1 {
		t.Errorf("the PreSync hook was created %d times (%v), want once", len(uids), uids)
	}
}

// While the Application's status cannot be written, no hook is created:
// the operation's start is recorded first, and a pass that cannot record
// it does nothing more and is retried with backoff.
func TestNoHookRunsWhileTheStatusCannotBeWritten(t *testing.T) {
	var broken atomic.Bool
	broken.Store(true)
	lossy := &lossyStatus{app: "status-broken", lose: func([]byte) bool { return broken.Load() }}
	cl, _ := startWrappedController(t, func(c client.Client) client.Client { lossy.Client = c; return lossy })
	cs := kubernetes.NewForConfigOrDie(env.Config())
	created := jobCreations(t, cs, "status-broken")
	repo := gitserver.NewRepo(t, t.TempDir(), "status-broken")
	repo.Commit(t, "main", map[string]string{"guestbook/all.yaml": lostWriteFiles}, "a hook and a ConfigMap")
	repo.SetHead(t, "main")
	if err := cl.Create(context.Background(), seedApp("status-broken", repo.URL(), "status-broken")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "several passes to fail to write the status", func(ctx context.Context) (bool, error) {
		return lossy.lost.Load() >= 3, nil
	})
	if uids := created(); len(uids) != 0 {
		t.Fatalf("the hook was created %d times while no status could be written", len(uids))
	}
	broken.Store(false)
	waitFor(t, "the operation to succeed once the status can be written", func(ctx context.Context) (bool, error) {
		app := appStatus(t, cl, "status-broken")
		return operation(t, app).Phase == v1alpha1.OperationSucceeded && len(app.Status.History) > 0, nil
	})
	if uids := created(); len(uids) != 1 {
		t.Errorf("the PreSync hook was created %d times (%v), want once", len(uids), uids)
	}
}
