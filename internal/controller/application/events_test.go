package application

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

func TestTransitions(t *testing.T) {
	started := metav1.NewTime(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	later := metav1.NewTime(started.Add(time.Minute))
	op := func(phase v1alpha1.OperationPhase, at metav1.Time, automated bool, msg string) *v1alpha1.OperationState {
		return &v1alpha1.OperationState{Phase: phase, StartedAt: at, Message: msg,
			Operation:  v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}, InitiatedBy: v1alpha1.OperationInitiator{Automated: automated}},
			SyncResult: &v1alpha1.SyncOperationResult{Revision: "abc"}}
	}
	app := func(sync v1alpha1.SyncStatusCode, health v1alpha1.HealthStatusCode, os *v1alpha1.OperationState) *v1alpha1.Application {
		return &v1alpha1.Application{Status: v1alpha1.ApplicationStatus{Sync: v1alpha1.SyncStatus{Status: sync},
			Health: v1alpha1.AppHealthStatus{Status: health}, OperationState: os}}
	}
	partial := op(v1alpha1.OperationSucceeded, later, false, "")
	partial.Operation.Sync.Resources = []v1alpha1.SyncOperationResource{{Kind: "ConfigMap", Name: "a"}}
	const (
		synced, outOfSync = v1alpha1.SyncStatusCodeSynced, v1alpha1.SyncStatusCodeOutOfSync
		healthy, missing  = v1alpha1.HealthStatusHealthy, v1alpha1.HealthStatusMissing
	)
	normal := func(reason, msg string) appEvent {
		return appEvent{Type: corev1.EventTypeNormal, Reason: reason, Message: msg}
	}
	for _, tc := range []struct {
		name          string
		before, after *v1alpha1.Application
		want          []appEvent
	}{
		{name: "nothing changed", before: app(synced, healthy, op(v1alpha1.OperationSucceeded, started, true, "")),
			after: app(synced, healthy, op(v1alpha1.OperationSucceeded, started, true, ""))},
		{name: "first look", before: app("", "", nil), after: app(outOfSync, missing, nil), want: []appEvent{
			normal(ReasonResourceUpdated, "Updated sync status:  -> OutOfSync"),
			normal(ReasonResourceUpdated, "Updated health status:  -> Missing"),
		}},
		{name: "automated sync started and finished in one pass", before: app(outOfSync, missing, nil),
			after: app(synced, healthy, op(v1alpha1.OperationSucceeded, started, true, "")), want: []appEvent{
				normal(ReasonResourceUpdated, "Updated sync status: OutOfSync -> Synced"),
				normal(ReasonResourceUpdated, "Updated health status: Missing -> Healthy"),
				normal(ReasonOperationCompleted, "Automated sync to 'abc' succeeded"),
			}},
		{name: "automated sync started and failed in one pass", before: app(synced, healthy, op(v1alpha1.OperationSucceeded, started, true, "")),
			after: app(outOfSync, healthy, op(v1alpha1.OperationFailed, later, true, "one or more objects failed to apply")), want: []appEvent{
				normal(ReasonResourceUpdated, "Updated sync status: Synced -> OutOfSync"),
				{Type: corev1.EventTypeWarning, Reason: ReasonOperationCompleted, Message: "Automated sync to 'abc' failed: one or more objects failed to apply"},
			}},
		{name: "requested sync still running", before: app(outOfSync, healthy, op(v1alpha1.OperationSucceeded, started, true, "")),
			after: app(outOfSync, healthy, op(v1alpha1.OperationRunning, later, false, "")), want: []appEvent{
				normal(ReasonOperationStarted, "Initiated sync to 'abc'"),
			}},
		{name: "running sync goes on", before: app(outOfSync, healthy, op(v1alpha1.OperationRunning, later, false, "")),
			after: app(outOfSync, healthy, op(v1alpha1.OperationRunning, later, false, "waiting"))},
		{name: "running sync fails", before: app(outOfSync, healthy, op(v1alpha1.OperationRunning, later, false, "")),
			after: app(outOfSync, healthy, op(v1alpha1.OperationFailed, later, false, "one or more objects failed to apply")), want: []appEvent{
				{Type: corev1.EventTypeWarning, Reason: ReasonOperationCompleted, Message: "Sync operation to abc failed: one or more objects failed to apply"},
			}},
		{name: "partial sync in one pass", before: app(outOfSync, healthy, nil), after: app(outOfSync, healthy, partial), want: []appEvent{
			normal(ReasonOperationCompleted, "Partial sync to 'abc' succeeded"),
		}},
		{name: "partial sync over passes", before: app(outOfSync, healthy, op(v1alpha1.OperationRunning, later, false, "")), after: app(outOfSync, healthy, partial), want: []appEvent{
			normal(ReasonOperationCompleted, "Partial sync operation to abc succeeded"),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, transitions(tc.before, tc.after)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWritten(t *testing.T) {
	started := metav1.NewTime(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	res := func(name string, code v1alpha1.ResultCode) v1alpha1.ResourceResult {
		return v1alpha1.ResourceResult{Kind: "ConfigMap", Namespace: "ns", Name: name, Status: code, SyncPhase: v1alpha1.SyncPhaseSync}
	}
	op := func(at metav1.Time, retry int64, dryRun bool, results ...v1alpha1.ResourceResult) *v1alpha1.OperationState {
		return &v1alpha1.OperationState{StartedAt: at, RetryCount: retry, Operation: v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{DryRun: dryRun}},
			SyncResult: &v1alpha1.SyncOperationResult{Resources: results}}
	}
	for _, tc := range []struct {
		name          string
		before, after *v1alpha1.OperationState
		want          []v1alpha1.ResourceResult
	}{
		{name: "no operation"},
		{name: "new operation", after: op(started, 0, false, res("a", v1alpha1.ResultCodeSynced), res("b", v1alpha1.ResultCodePruned), res("c", v1alpha1.ResultCodeSyncFailed)),
			want: []v1alpha1.ResourceResult{res("a", v1alpha1.ResultCodeSynced), res("b", v1alpha1.ResultCodePruned)}},
		{name: "only what this pass added", before: op(started, 0, false, res("a", v1alpha1.ResultCodeSynced)),
			after: op(started, 0, false, res("a", v1alpha1.ResultCodeSynced), res("b", v1alpha1.ResultCodeSynced)),
			want:  []v1alpha1.ResourceResult{res("b", v1alpha1.ResultCodeSynced)}},
		{name: "a retry applies again", before: op(started, 0, false, res("a", v1alpha1.ResultCodeSynced)),
			after: op(started, 1, false, res("a", v1alpha1.ResultCodeSynced)),
			want:  []v1alpha1.ResourceResult{res("a", v1alpha1.ResultCodeSynced)}},
		{name: "dry run writes nothing", after: op(started, 0, true, res("a", v1alpha1.ResultCodeSynced))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, written(tc.before, tc.after)); diff != "" {
				t.Errorf("written (-want +got):\n%s", diff)
			}
		})
	}
}

// The Events an operator reads with `kubectl describe application`: a
// sync that starts and succeeds, statuses that change, and a sync that
// fails, with Argo CD's reasons; a sync done in one pass is one Event.
func TestEventsOnTheApplication(t *testing.T) {
	ctx := context.Background()
	cl := startRecordingController(t, func(*Reconciler) {})

	repo := gitserver.NewRepo(t, t.TempDir(), "events")
	good := repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": configMapYAML("one", nil)}, "one ConfigMap")
	repo.SetHead(t, "main")
	if err := cl.Create(ctx, seedApp("events", repo.URL(), "events")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first sync", func(ctx context.Context) (bool, error) {
		os := appStatus(t, cl, "events").Status.OperationState
		return os != nil && os.Phase == v1alpha1.OperationSucceeded, nil
	})
	// The ConfigMap goes to a namespace nobody created: the sync fails.
	bad := repo.Commit(t, "main", map[string]string{"guestbook/lost.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lost\n  namespace: events-nowhere\n"}, "lost")

	// Each sync starts and ends in one pass: one Event each, naming who
	// started it, and no OperationStarted.
	want := []string{
		"Normal ResourceUpdated Updated sync status: ",
		"Normal ResourceUpdated Updated health status: ",
		"Normal OperationCompleted Automated sync to '" + good + "' succeeded",
		"Warning OperationCompleted Automated sync to '" + bad + "' failed: ",
	}
	var got []string
	_ = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		var err error
		got, err = appEvents(ctx, "events")
		return err == nil && len(missing(want, got)) == 0, err
	})
	if m := missing(want, got); len(m) > 0 {
		t.Errorf("Events lack %q; got %q", m, got)
	}
	if m := missing([]string{"Normal OperationStarted "}, got); len(m) == 0 {
		t.Errorf("an OperationStarted Event for a sync done in one pass: %q", got)
	}
}

// An operation is known by its startedAt, which the API holds to the
// second. One that would start in the second its predecessor started in
// waits for the next: with the controller's clock held still, the next
// revision is compared but not synced until the clock moves on, and then
// its sync is told as one of its own.
func TestOperationsStartInSecondsOfTheirOwn(t *testing.T) {
	ctx := context.Background()
	held := clocktesting.NewFakeClock(time.Now().Truncate(time.Second).Add(100 * time.Millisecond))
	cl := startRecordingController(t, func(r *Reconciler) { r.Clock = held })

	repo := gitserver.NewRepo(t, t.TempDir(), "same-second")
	first := repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": configMapYAML("one", nil)}, "one ConfigMap")
	repo.SetHead(t, "main")
	if err := cl.Create(ctx, seedApp("same-second", repo.URL(), "same-second")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first sync", func(ctx context.Context) (bool, error) {
		os := appStatus(t, cl, "same-second").Status.OperationState
		return os != nil && os.Phase == v1alpha1.OperationSucceeded, nil
	})
	second := repo.Commit(t, "main", map[string]string{"guestbook/two.yaml": configMapYAML("two", nil)}, "two ConfigMaps")
	waitFor(t, "the second revision to be compared", func(ctx context.Context) (bool, error) {
		return appStatus(t, cl, "same-second").Status.Sync.Revision == second, nil
	})
	app := appStatus(t, cl, "same-second")
	if os := app.Status.OperationState; app.Status.Sync.Status != v1alpha1.SyncStatusCodeOutOfSync || os.SyncResult.Revision != first {
		t.Fatalf("in the second of the first sync: status %s, last operation at %s (started %s); want OutOfSync, still %s",
			app.Status.Sync.Status, os.SyncResult.Revision, os.StartedAt, first)
	}
	began := app.Status.OperationState.StartedAt

	held.Step(time.Second)
	waitFor(t, "the second sync", func(ctx context.Context) (bool, error) {
		os := appStatus(t, cl, "same-second").Status.OperationState
		return os.SyncResult.Revision == second && os.Phase == v1alpha1.OperationSucceeded, nil
	})
	if os := appStatus(t, cl, "same-second").Status.OperationState; !os.StartedAt.Equal(ptr.To(metav1.NewTime(began.Add(time.Second)))) {
		t.Errorf("the second sync started at %s; want the second after %s", os.StartedAt, began)
	}
	want := "Normal OperationCompleted Automated sync to '" + second + "' succeeded"
	waitFor(t, "the second sync's Event", func(ctx context.Context) (bool, error) {
		got, err := appEvents(ctx, "same-second")
		return slices.Contains(got, want), err
	})
}

func TestStartWait(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	last := &v1alpha1.OperationState{StartedAt: metav1.NewTime(at("2026-12-02T10:00:05Z"))}
	for _, tc := range []struct {
		name string
		last *v1alpha1.OperationState
		now  string
		want time.Duration
	}{
		{name: "no operation before", now: "2026-12-02T10:00:05.2Z"},
		{name: "in the same second", last: last, now: "2026-12-02T10:00:05.25Z", want: 750 * time.Millisecond},
		{name: "at the start of the same second", last: last, now: "2026-12-02T10:00:05Z", want: time.Second},
		{name: "the second after", last: last, now: "2026-12-02T10:00:06Z"},
		{name: "a second before (another replica's clock)", last: last, now: "2026-12-02T10:00:04.9Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := startWait(tc.last, at(tc.now)); got != tc.want {
				t.Errorf("startWait = %s; want %s", got, tc.want)
			}
		})
	}
}

// startRecordingController is startConfiguredController with Events
// recorded to the API server.
func startRecordingController(t *testing.T, configure func(*Reconciler)) client.Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = v1alpha1.AddToScheme(scheme)
	recorder, err := NewEventRecorder(ctx, env.Config(), scheme)
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := startConfiguredController(t, func(r *Reconciler) { r.Events = recorder; configure(r) })
	return cl
}

// appEvents are the Events on the Application name, each as "type reason
// message".
func appEvents(ctx context.Context, name string) ([]string, error) {
	cs := kubernetes.NewForConfigOrDie(env.Config())
	list, err := cs.CoreV1().Events(controlPlane).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.kind=Application,involvedObject.name=" + name})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range list.Items {
		out = append(out, e.Type+" "+e.Reason+" "+e.Message)
	}
	return out, nil
}

// missing lists the prefixes of want that no line of got starts with.
func missing(want, got []string) []string {
	var out []string
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, w)
		}
		if !found {
			out = append(out, w)
		}
	}
	return out
}

// The recorder counts an Event that repeats in the one it wrote, while it
// still remembers it: it remembers the EventCorrelation.LRUCacheSize
// latest, so that 1000 Applications do not keep thousands of Events in
// memory. Past that many others, a repeat is written as a new Event.
func TestRecorderCountsRepeatsWhileItRemembersThem(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	scheme := runtime.NewScheme()
	_ = v1alpha1.AddToScheme(scheme)
	recorder, err := NewEventRecorder(ctx, env.Config(), scheme)
	if err != nil {
		t.Fatal(err)
	}
	app := func(name string) *v1alpha1.Application {
		return &v1alpha1.Application{TypeMeta: metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "Application"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: controlPlane, UID: types.UID(name + "-uid")}}
	}
	cs := kubernetes.NewForConfigOrDie(env.Config())
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: controlPlane}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	counts := func(name string) []int32 {
		t.Helper()
		list, err := cs.CoreV1().Events(controlPlane).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + name})
		if err != nil {
			t.Fatal(err)
		}
		var out []int32
		for _, e := range list.Items {
			out = append(out, e.Count)
		}
		slices.Sort(out)
		return out
	}
	waitCounts := func(name string, want []int32) {
		t.Helper()
		var got []int32
		_ = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
			got = counts(name)
			return slices.Equal(got, want), nil
		})
		if !slices.Equal(got, want) {
			t.Fatalf("counts of the Events on %s: %v, want %v", name, got, want)
		}
	}

	repeated := app("recorder-repeats")
	recorder.Eventf(repeated, corev1.EventTypeWarning, "OperationCompleted", "sync failed")
	recorder.Eventf(repeated, corev1.EventTypeWarning, "OperationCompleted", "sync failed")
	waitCounts("recorder-repeats", []int32{2})

	others := EventCorrelation.LRUCacheSize + 10
	for i := range others {
		recorder.Eventf(app(fmt.Sprintf("recorder-other-%d", i)), corev1.EventTypeNormal, "ResourceUpdated", "Updated sync status:  -> Synced")
	}
	waitCounts(fmt.Sprintf("recorder-other-%d", others-1), []int32{1})
	recorder.Eventf(repeated, corev1.EventTypeWarning, "OperationCompleted", "sync failed")
	waitCounts("recorder-repeats", []int32{1, 2})
}
