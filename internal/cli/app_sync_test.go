package cli

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestSyncRequestBody(t *testing.T) {
	for _, tc := range []struct {
		name    string
		f       syncFlags
		app     string
		want    string
		wantErr bool
	}{{
		name: "defaults",
		app:  "web",
		want: `{"name":"web","strategy":{"hook":{}}}`,
	}, {
		name: "everything",
		app:  "argocd/web",
		f: syncFlags{revision: "v2", prune: true, dryRun: true, force: true, resources: []string{":Service:web", "apps:Deployment:ns/web"},
			syncOptions: []string{"CreateNamespace=true"}, applyOutOfSyncOnly: true, replace: true, serverSide: true, retryLimit: 2},
		want: `{"name":"web","appNamespace":"argocd","revision":"v2","dryRun":true,"prune":true,"strategy":{"hook":{"force":true}},` +
			`"resources":[{"kind":"Service","name":"web"},{"group":"apps","kind":"Deployment","name":"web","namespace":"ns"}],` +
			`"syncOptions":{"items":["CreateNamespace=true","ApplyOutOfSyncOnly=true","Replace=true","ServerSideApply=true"]},"retryStrategy":{"limit":2}}`,
	}, {
		name: "apply strategy",
		app:  "web",
		f:    syncFlags{strategy: "apply", force: true},
		want: `{"name":"web","strategy":{"apply":{"force":true}}}`,
	}, {
		name:    "bad strategy",
		f:       syncFlags{strategy: "both"},
		wantErr: true,
	}, {
		name:    "bad resource",
		f:       syncFlags{resources: []string{"Deployment/web"}},
		wantErr: true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := tc.f.request(tc.app)
			if (err != nil) != tc.wantErr {
				t.Fatalf("request: %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			got, _ := json.Marshal(req)
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWaitForSatisfied(t *testing.T) {
	synced := v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeSynced}
	healthy := v1alpha1.AppHealthStatus{Status: v1alpha1.HealthStatusHealthy}
	done := &v1alpha1.OperationState{Phase: v1alpha1.OperationSucceeded}
	running := &v1alpha1.OperationState{Phase: v1alpha1.OperationRunning}
	app := func(sync v1alpha1.SyncStatus, health v1alpha1.AppHealthStatus, op *v1alpha1.OperationState, pending bool) *v1alpha1.Application {
		a := &v1alpha1.Application{Status: v1alpha1.ApplicationStatus{Sync: sync, Health: health, OperationState: op}}
		if pending {
			a.Operation = &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}}
		}
		return a
	}
	for _, tc := range []struct {
		name string
		w    waitFor
		app  *v1alpha1.Application
		want bool
	}{
		{"all: done", waitFor{}.orAll(), app(synced, healthy, done, false), true},
		{"all: operation pending", waitFor{}.orAll(), app(synced, healthy, done, true), false},
		{"all: operation running", waitFor{}.orAll(), app(synced, healthy, running, false), false},
		{"all: out of sync", waitFor{}.orAll(), app(v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeOutOfSync}, healthy, nil, false), false},
		{"health only ignores sync", waitFor{health: true}, app(v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeOutOfSync}, healthy, running, false), true},
		{"health: progressing", waitFor{health: true}, app(synced, v1alpha1.AppHealthStatus{Status: v1alpha1.HealthStatusProgressing}, nil, false), false},
		{"degraded", waitFor{degraded: true}, app(synced, v1alpha1.AppHealthStatus{Status: v1alpha1.HealthStatusDegraded}, nil, false), true},
		{"health or suspended", waitFor{health: true, suspended: true}, app(synced, v1alpha1.AppHealthStatus{Status: v1alpha1.HealthStatusSuspended}, nil, false), true},
		{"operation only", waitFor{operation: true}, app(v1alpha1.SyncStatus{}, v1alpha1.AppHealthStatus{}, &v1alpha1.OperationState{Phase: v1alpha1.OperationFailed}, false), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.w.satisfied(tc.app); got != tc.want {
				t.Errorf("satisfied = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestOpTrackerIgnoresTheOperationBefore checks that `app sync` does not
// take the previous, finished operation of a stale first event for the
// one it asked for.
func TestOpTrackerIgnoresTheOperationBefore(t *testing.T) {
	t0 := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	old := &v1alpha1.OperationState{Phase: v1alpha1.OperationSucceeded, StartedAt: t0, Message: "successfully synced"}
	track := &opTracker{before: old.DeepCopy()}
	w := waitFor{operation: true}
	stale := &v1alpha1.Application{Status: v1alpha1.ApplicationStatus{OperationState: old.DeepCopy()}}
	if track.current(stale) && w.satisfied(stale) {
		t.Fatal("the stale view ended the wait")
	}
	pending := stale.DeepCopy()
	pending.Operation = &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}}
	if !track.current(pending) || w.satisfied(pending) {
		t.Fatal("the pending operation is not current, or ended the wait")
	}
	// Finished within the same second, with the same message: current
	// because the operation was seen pending.
	if !track.current(stale) || !w.satisfied(stale) {
		t.Fatal("the finished operation did not end the wait")
	}

	// Resource versions: a view older than the write is not current,
	// whatever its operation state says.
	byVersion := &opTracker{written: "120", before: old.DeepCopy()}
	lagging := &v1alpha1.Application{Status: v1alpha1.ApplicationStatus{OperationState: &v1alpha1.OperationState{Phase: v1alpha1.OperationSucceeded, StartedAt: t0, Message: "an older one"}}}
	lagging.ResourceVersion = "119"
	if byVersion.current(lagging) {
		t.Error("a view older than the write is current")
	}
	lagging.ResourceVersion = "120"
	if !byVersion.current(lagging) {
		t.Error("the view of the write is not current")
	}

	fresh := &opTracker{before: nil}
	first := &v1alpha1.Application{Status: v1alpha1.ApplicationStatus{OperationState: &v1alpha1.OperationState{Phase: v1alpha1.OperationSucceeded, StartedAt: t0}}}
	if !fresh.current(first) {
		t.Error("an operation state where there was none is not current")
	}
}
