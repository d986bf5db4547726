// Package application is the Application controller: it keeps each
// Application's destination in sync with its sources. Reconcile reads as a
// pipeline of named steps (destination, sources, compare, sync, health,
// status); the work of each lives in the stage packages.
package application

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/appcache"
	"github.com/capstan-cd/capstan/internal/render"
	"github.com/capstan-cd/capstan/internal/settings"
	"github.com/capstan-cd/capstan/internal/source"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// Options configure the controller.
type Options struct {
	// Namespace is the control-plane namespace.
	Namespace string
	// Resync is timeout.reconciliation: how often an Application's sources
	// are polled. Up to Jitter is added so polls spread out.
	Resync time.Duration
	Jitter time.Duration
	// Tracking is application.resourceTrackingMethod when there are no
	// Settings; with Settings, theirs is used.
	Tracking tracking.Method
	// StatusHold bounds how long the status of an automated sync that has
	// just succeeded waits in memory for its objects to become healthy
	// (holdStatus): 0 means 3 s, a negative duration not at all.
	StatusHold time.Duration
}

// Settings gives the installation's settings (a settings.Watcher):
// resource customizations, and timeout.reconciliation, which then
// replace Options.Resync and Options.Jitter.
type Settings interface {
	Current() *settings.Settings
	Subscribe(func(context.Context, *settings.Settings))
}

// Reconciler reconciles Applications.
type Reconciler struct {
	Client client.Client
	// Apps indexes the cache's Applications, which the controller lists
	// without copies; nil lists copies through Client.
	Apps     *appcache.Index
	Opts     Options
	Fetcher  *source.Fetcher
	Renders  *render.Cache
	Clusters *Clusters
	Clock    clock.Clock
	// Settings are read at each reconcile; nil means the defaults.
	Settings Settings
	// Elected is closed once this replica leads (the manager's Elected);
	// nil means there is no election and the replica always leads.
	Elected <-chan struct{}
	// Events records Events on Applications; nil records none.
	Events EventRecorder
	// InShard selects the Applications of this replica's shard; nil
	// selects all.
	InShard func(client.Object) bool

	verdicts  verdicts
	heals     heals
	pruned    pruned
	expected  expectations
	finished  finished
	kindWaits kindWaits
	hard      hardRefreshes
	held      heldStatuses
	refreshes chan event.GenericEvent
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// Reconcile brings one Application's destination to its desired state and
// records what it found and did in the Application's status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	app := &v1alpha1.Application{}
	if err := r.Client.Get(ctx, req.NamespacedName, app); err != nil {
		if apierrors.IsNotFound(err) {
			forgetApp(req.Namespace, req.Name)
			r.verdicts.retain(req.Namespace+"/"+req.Name, nil)
			r.heals.forget(req.Namespace + "/" + req.Name)
			r.expected.forget(req.Namespace + "/" + req.Name)
			r.finished.forget(req.Namespace + "/" + req.Name)
			r.kindWaits.forget(req.Namespace + "/" + req.Name)
			r.hard.forget(req.Namespace + "/" + req.Name)
			r.held.forget(req.Namespace + "/" + req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !app.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, app)
	}
	if skipReconcile(app) {
		return ctrl.Result{}, nil
	}
	defer func(began time.Time) { recordReconcile(app, r.Clock.Since(began)) }(r.Clock.Now())
	if r.expected.stale(appKey(app), app.ResourceVersion, r.Clock.Now()) {
		// The cache has not seen the last status write yet.
		return ctrl.Result{RequeueAfter: 200 * time.Millisecond}, nil
	}
	read := app.ResourceVersion
	refresh := r.takeRefreshRequest(app)
	before := app.DeepCopy()
	if held, ok := r.held.get(appKey(app), &app.Status); ok {
		// The status the last pass held back (holdStatus) is where this
		// one starts, as if it had been written.
		app.Status = *held
	}
	st := &state{app: app, now: r.Clock.Now(), saved: before, refresh: refresh, leftover: r.finished.leftover(app)}
	st.settings, st.assess = r.customized(ctx)
	st.policy = r.trackingPolicy(st.settings)
	r.Clusters.follow(st.policy)
	r.refreshHardWhenDue(st)

	var stepErr error
	for _, step := range []struct {
		name string
		run  func(context.Context, *state) error
	}{
		{"destination", r.resolveDestination},
		{"project", r.checkProject},
		{"sources", r.renderFresh},
		{"finalizers", r.deleteHookFinalizers},
		{"compare", r.compareFresh},
		{"sync", r.sync},
		{"health", r.assessHealth},
	} {
		if err := step.run(ctx, st); err != nil {
			log.V(1).Info("step stopped the reconcile", "step", step.name, "error", err.Error())
			st.fail(step.name, err)
			stepErr = err
			break
		}
		if st.stop {
			break
		}
	}
	if st.persistErr != nil {
		// A step with effects did not run for want of a checkpoint: no
		// other write either; the workqueue retries with backoff.
		r.expectWrites(st, read, before)
		r.announce(ctx, before, st.saved)
		return ctrl.Result{}, st.persistErr
	}
	r.buildStatus(st)
	recordApp(st.app)
	if stepErr == nil {
		if left, ok := r.holdStatus(st, before); ok {
			// Written, with its Events, by a pass to come.
			return ctrl.Result{RequeueAfter: heldRequeue(left, r.next(st)), Priority: new(0)}, nil
		}
	}
	if err := r.patchStatus(ctx, read, before, st); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("update status of Application %s: %w", app.Name, err)
	}
	r.held.forget(appKey(app))
	r.announce(ctx, before, st.app)
	if transient(stepErr) {
		// Backoff by the workqueue, not the next poll: the server may be
		// back in a moment.
		return ctrl.Result{}, fmt.Errorf("application %s: step %s: %w", app.Name, st.failedStep, stepErr)
	}
	return ctrl.Result{RequeueAfter: r.next(st), Priority: new(requeuePriority(st))}, nil
}

// requeuePriority is the work queue's priority of the pass to come: a
// poll's is low, so that a change seen through a watch (a drift to heal),
// a webhook or a user's refresh, queued at the normal priority, goes
// first; the next pass of an operation (waiting for health, or a retry's
// backoff) keeps the normal one. A poll queued low rises to the normal
// priority when such an event asks for the Application meanwhile.
func requeuePriority(st *state) int {
	if st.requeueAfter > 0 {
		return 0
	}
	return handler.LowPriority
}

// next is when to look again: soon while a sync waits for health or a
// self-heal backs off, else at the next poll.
func (r *Reconciler) next(st *state) time.Duration {
	if st.requeueAfter > 0 {
		return st.requeueAfter
	}
	resync, spread := r.Opts.Resync, r.Opts.Jitter
	if st.settings != nil && r.Settings != nil {
		resync, spread = st.settings.Resync, st.settings.Jitter
	}
	hard := r.hardRefreshIn(st)
	if resync <= 0 {
		return hard // timeout.reconciliation 0: no polling, webhooks and watches only
	}
	jitter := time.Duration(0)
	if spread > 0 {
		jitter = time.Duration(rand.Int64N(int64(spread)))
	}
	if hard > 0 && hard < resync+jitter {
		return hard
	}
	return resync + jitter
}
