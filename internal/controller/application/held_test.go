package application

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// The status of an automated sync whose Deployment is still starting is
// held until the Deployment is Available: the Application's first status
// records the sync and Healthy together, in one write, and no Event tells
// of a Progressing in between.
func TestSyncStatusWaitsForHealth(t *testing.T) {
	cl, requests, events := startEventCountingControllerWith(t, func(r *Reconciler) { r.Opts.StatusHold = time.Minute })
	repo := gitserver.NewRepo(t, t.TempDir(), "heldstatus")
	repo.Commit(t, "main", map[string]string{
		"guestbook/web.yaml":      deploymentYAML("web", "registry.invalid/web:1.0", 1),
		"guestbook/settings.yaml": configMapYAML("settings", nil),
	}, "a Deployment")
	repo.SetHead(t, "main")
	if err := cl.Create(context.Background(), seedApp("heldstatus", repo.URL(), "heldstatus")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the Application Synced and Healthy", func(context.Context) (bool, error) {
		a := appStatus(t, cl, "heldstatus")
		return a.Status.Health.Status == v1alpha1.HealthStatusHealthy && a.Status.OperationState != nil &&
			a.Status.OperationState.Phase == v1alpha1.OperationSucceeded, nil
	})
	requests.waitQuiet()
	var writes []string
	for _, req := range requests.since(0) {
		if strings.HasPrefix(req, "PATCH /apis/argoproj.io/v1alpha1/namespaces/argocd/applications/heldstatus/status") {
			writes = append(writes, req)
		}
	}
	if len(writes) != 1 {
		t.Errorf("%d status writes from creation to Healthy, want 1: %q", len(writes), writes)
	}
	for _, e := range events.since(0) {
		if strings.Contains(e, string(v1alpha1.HealthStatusProgressing)) {
			t.Errorf("an Event of the held status: %q; all: %q", e, events.since(0))
		}
	}
}

// A hold is bounded: the status of a sync whose Deployment cannot become
// Available (its Pod fits no node) is written, Progressing, once
// StatusHold has passed since the sync, with polling off (no pass but
// the hold's own comes once the Deployment stops moving).
func TestHeldStatusIsWrittenWhenTheHoldRunsOut(t *testing.T) {
	cl, _ := startConfiguredController(t, func(r *Reconciler) { r.Opts.StatusHold, r.Opts.Resync = 3*time.Second, 0 })
	repo := gitserver.NewRepo(t, t.TempDir(), "heldlong")
	pending := strings.Replace(deploymentYAML("web", "registry.invalid/web:1.0", 1), "    spec:\n", "    spec:\n      nodeSelector: {capstan.dev/no-such-node: \"true\"}\n", 1)
	repo.Commit(t, "main", map[string]string{"guestbook/web.yaml": pending}, "a Deployment that cannot start")
	repo.SetHead(t, "main")
	if err := cl.Create(context.Background(), seedApp("heldlong", repo.URL(), "heldlong")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the sync written, Progressing", func(context.Context) (bool, error) {
		a := appStatus(t, cl, "heldlong")
		return a.Status.Health.Status == v1alpha1.HealthStatusProgressing && a.Status.OperationState != nil &&
			a.Status.OperationState.Phase == v1alpha1.OperationSucceeded, nil
	})
}

func TestHoldStatus(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	synced := func(automated bool, phase v1alpha1.OperationPhase, finished time.Time) *v1alpha1.OperationState {
		return &v1alpha1.OperationState{Phase: phase, FinishedAt: new(metav1.NewTime(finished)),
			Operation: v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}, InitiatedBy: v1alpha1.OperationInitiator{Automated: automated}}}
	}
	app := func(os *v1alpha1.OperationState, health v1alpha1.HealthStatusCode) *v1alpha1.Application {
		return &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Namespace: "argocd", Name: "web"},
			Status: v1alpha1.ApplicationStatus{OperationState: os, Health: v1alpha1.AppHealthStatus{Status: health}}}
	}
	fresh := synced(true, v1alpha1.OperationSucceeded, now.Add(-time.Second))
	requested := app(nil, "")
	requested.Operation = &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}}
	for _, tc := range []struct {
		name          string
		before, after *v1alpha1.Application
		refresh       string
		want          time.Duration
	}{
		{name: "an automated sync just succeeded, Progressing", before: app(nil, ""), after: app(fresh, v1alpha1.HealthStatusProgressing), want: 2 * time.Second},
		{name: "already Healthy", before: app(nil, ""), after: app(fresh, v1alpha1.HealthStatusHealthy)},
		{name: "Degraded", before: app(nil, ""), after: app(fresh, v1alpha1.HealthStatusDegraded)},
		{name: "the sync already written", before: app(fresh, v1alpha1.HealthStatusProgressing), after: app(fresh, v1alpha1.HealthStatusProgressing)},
		{name: "the sync failed", before: app(nil, ""), after: app(synced(true, v1alpha1.OperationFailed, now), v1alpha1.HealthStatusProgressing)},
		{name: "a sync a person asked for", before: app(nil, ""), after: app(synced(false, v1alpha1.OperationSucceeded, now), v1alpha1.HealthStatusProgressing)},
		{name: "the operation field still set", before: requested, after: app(fresh, v1alpha1.HealthStatusProgressing)},
		{name: "a refresh asked for", before: app(nil, ""), after: app(fresh, v1alpha1.HealthStatusProgressing), refresh: v1alpha1.RefreshTypeNormal},
		{name: "the hold ran out", before: app(nil, ""), after: app(synced(true, v1alpha1.OperationSucceeded, now.Add(-3*time.Second)), v1alpha1.HealthStatusProgressing)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Reconciler{Clock: clocktesting.NewFakeClock(now)}
			got, held := r.holdStatus(&state{app: tc.after, refresh: tc.refresh}, tc.before)
			if got != tc.want || held != (tc.want > 0) {
				t.Errorf("holdStatus = %s, %t; want %s", got, held, tc.want)
			}
			if _, kept := r.held.get(appKey(tc.after), &tc.before.Status); kept != held {
				t.Errorf("status kept in memory: %t, want %t", kept, held)
			}
		})
	}
}

// A pass that held the status always comes back by the hold's end, also
// when polling is off.
func TestHeldRequeue(t *testing.T) {
	for _, tc := range []struct{ left, next, want time.Duration }{
		{left: 2 * time.Second, next: 3 * time.Minute, want: 2 * time.Second},
		{left: 2 * time.Second, next: time.Second, want: time.Second},
		{left: 2 * time.Second, next: 0, want: 2 * time.Second},
	} {
		if got := heldRequeue(tc.left, tc.next); got != tc.want {
			t.Errorf("heldRequeue(%s, %s) = %s, want %s", tc.left, tc.next, got, tc.want)
		}
	}
}

// heldFive is the status of an automated sync of five objects, its times
// at now, as a pass would hold it.
func heldFive(now time.Time) *v1alpha1.ApplicationStatus { return heldFiveIn(now, "web") }

// heldFiveIn is heldFive for the Application deploying apps/ns to
// namespace ns.
func heldFiveIn(now time.Time, ns string) *v1alpha1.ApplicationStatus {
	at := metav1.NewTime(now)
	src := v1alpha1.ApplicationSource{RepoURL: "http://127.0.0.1:3000/apps.git", Path: "apps/" + ns, TargetRevision: "HEAD"}
	rev := "0123456789abcdef0123456789abcdef01234567"
	st := &v1alpha1.ApplicationStatus{
		Sync: v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeSynced, Revision: rev,
			ComparedTo: v1alpha1.ComparedTo{Source: src, Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: ns}}},
		Health:       v1alpha1.AppHealthStatus{Status: v1alpha1.HealthStatusProgressing, LastTransitionTime: &at},
		ReconciledAt: &at,
		SourceType:   v1alpha1.ApplicationSourceTypeDirectory,
		History:      v1alpha1.RevisionHistories{{Revision: rev, DeployedAt: at, Source: src, DeployStartedAt: &at, InitiatedBy: v1alpha1.OperationInitiator{Automated: true}}},
		OperationState: &v1alpha1.OperationState{
			Operation: v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: rev, Prune: true}, InitiatedBy: v1alpha1.OperationInitiator{Automated: true}},
			Phase:     v1alpha1.OperationSucceeded, Message: "successfully synced (all tasks run)",
			SyncResult: &v1alpha1.SyncOperationResult{Revision: rev, Source: src},
			StartedAt:  at, FinishedAt: &at,
		},
	}
	for _, kind := range []string{"Namespace", "ConfigMap", "Service", "Deployment", "Secret"} {
		st.Resources = append(st.Resources, v1alpha1.ResourceStatus{Version: "v1", Kind: kind, Namespace: ns, Name: "web",
			Status: v1alpha1.SyncStatusCodeSynced, Health: &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusHealthy}})
		st.OperationState.SyncResult.Resources = append(st.OperationState.SyncResult.Resources, v1alpha1.ResourceResult{Version: "v1", Kind: kind,
			Namespace: ns, Name: "web", Status: v1alpha1.ResultCodeSynced, Message: strings.ToLower(kind) + "/web created", SyncPhase: v1alpha1.SyncPhaseSync})
	}
	return st
}

// A held status comes back as the API server would give it back once
// written (its times in whole seconds), kept in under 1 KiB for five
// objects; a status the cache holds since, whoever wrote it, drops it.
func TestHeldStatusesKeepTheStatusCompact(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 123456789, time.UTC)
	cached := &v1alpha1.ApplicationStatus{Sync: v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeOutOfSync}}
	var h heldStatuses
	if !h.put("argocd/web", cached, heldFive(now)) {
		t.Fatal("the status was not held")
	}
	if n := len(h.m["argocd/web"].status); n > 1024 {
		t.Errorf("the status held takes %d bytes, want at most 1024", n)
	}
	got, ok := h.get("argocd/web", cached.DeepCopy())
	if !ok {
		t.Fatal("the status held did not come back")
	}
	if want := heldFive(now.Truncate(time.Second)); !equality.Semantic.DeepEqual(want, got) {
		t.Errorf("the status held came back as (-want +got):\n%s", cmp.Diff(want, got))
	}
	written := cached.DeepCopy()
	written.Health.Status = v1alpha1.HealthStatusHealthy
	if _, ok := h.get("argocd/web", written); ok {
		t.Error("a status held came back over one written since")
	}
	if _, ok := h.get("argocd/web", cached); ok {
		t.Error("a status held came back after one written since dropped it")
	}
	// Another Application's status, alike, is kept against the first one
	// held: in a fraction of its size alone.
	if !h.put("argocd/shop", cached, heldFiveIn(now, "shop")) {
		t.Fatal("the second status was not held")
	}
	if n, alone := len(h.m["argocd/shop"].status), heldSize(t, "argocd/shop", cached, heldFiveIn(now, "shop")); 2*n > alone {
		t.Errorf("the second status held takes %d bytes, alone %d: want half at most", n, alone)
	}
	got, ok = h.get("argocd/shop", cached.DeepCopy())
	if want := heldFiveIn(now.Truncate(time.Second), "shop"); !ok || !equality.Semantic.DeepEqual(want, got) {
		t.Errorf("the second status held came back (%v) as (-want +got):\n%s", ok, cmp.Diff(want, got))
	}
	h.forget("argocd/shop")
	if h.m != nil {
		t.Errorf("with nothing held, the table of %d statuses is kept", len(h.m))
	}
}

// heldSize is how many bytes status takes held alone.
func heldSize(t *testing.T, app string, cached, status *v1alpha1.ApplicationStatus) int {
	t.Helper()
	var h heldStatuses
	if !h.put(app, cached, status) {
		t.Fatal("the status was not held")
	}
	return len(h.m[app].status)
}

// BenchmarkHeldStatusSize reports what a held status of five objects takes
// (bytes): alone, and against another Application's status held first.
func BenchmarkHeldStatusSize(b *testing.B) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	cached := &v1alpha1.ApplicationStatus{}
	var alone, against int
	for b.Loop() {
		var h heldStatuses
		if !h.put("argocd/web", cached, heldFive(now)) || !h.put("argocd/shop", cached, heldFiveIn(now, "shop")) {
			b.Fatal("a status was not held")
		}
		alone, against = len(h.m["argocd/web"].status), len(h.m["argocd/shop"].status)
	}
	b.ReportMetric(float64(alone), "alone-bytes")
	b.ReportMetric(float64(against), "against-another-bytes")
}
