package application

import (
	"context"
	"strings"
	"testing"
	"time"

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
