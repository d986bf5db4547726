package application

import (
	"context"
	"fmt"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/sync"
)

// AnnotationDeletionApproved on an Application approves the prunes that
// Prune=confirm holds back.
const AnnotationDeletionApproved = "argocd.argoproj.io/deletion-approved"

// heals counts self-heal syncs per Application and revision, in memory.
type heals struct {
	mu gosync.Mutex
	m  map[string]healRecord
}

type healRecord struct {
	revision string
	attempts int
	last     time.Time
}

// healCooldown is how long an Application must go without a self-heal
// for its backoff to start over: drift now and then is healed at once,
// only something that keeps reverting capstan meets the backoff.
const healCooldown = 5 * time.Minute

func (h *heals) get(app, revision string, now time.Time) healRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	if rec, ok := h.m[app]; ok && rec.revision == revision && now.Sub(rec.last) < healCooldown {
		return rec
	}
	return healRecord{revision: revision}
}

func (h *heals) forget(app string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.m, app)
}

func (h *heals) record(app, revision string, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]healRecord{}
	}
	rec := h.m[app]
	if rec.revision != revision || now.Sub(rec.last) >= healCooldown {
		rec = healRecord{revision: revision}
	}
	rec.attempts++
	rec.last = now
	h.m[app] = rec
}

func revisionOf(revisions []string) string { return strings.Join(revisions, ",") }

// pruned remembers, for a minute, the objects a sync deleted: the watch
// may still show one (its deletion not received yet, or a foreground
// deletion that waits for the garbage collector), and a pass that took it
// for extraneous would start a sync to prune it again.
type pruned struct {
	mu gosync.Mutex
	m  map[types.UID]time.Time
}

// prunedFor is how long a deleted object is taken as on its way out.
const prunedFor = time.Minute

func (p *pruned) add(uid types.UID, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[types.UID]time.Time{}
	}
	for k, at := range p.m {
		if now.Sub(at) > prunedFor {
			delete(p.m, k)
		}
	}
	p.m[uid] = now
}

func (p *pruned) recent(uid types.UID, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	at, ok := p.m[uid]
	return ok && now.Sub(at) <= prunedFor
}

// awaitingDeletion reports whether all that keeps the Application out of
// sync is extraneous objects already on their way out: the Application
// stays OutOfSync until they are gone, but an automated sync would only
// delete them again.
func awaitingDeletion(st *state) bool {
	if st.synced || namespaceMetadataMoved(st.app) {
		return false
	}
	rest := slices.DeleteFunc(slices.Clone(st.resources), func(res *resource) bool { return res.extraneous && res.deleting })
	return len(rest) < len(st.resources) && inSync(rest)
}

// sync moves the Application's sync operation on: it resumes one that is
// running, starts a requested one, or starts an automated one when the
// policy calls for it. An operation runs a step (a phase and wave) per
// pass at most while earlier steps are still becoming healthy; between
// passes it is recorded as Running in status.operationState, so a worker
// never waits for health and a restart resumes where the last pass ended.
func (r *Reconciler) sync(ctx context.Context, st *state) error {
	app := st.app
	revision := revisionOf(st.revisions)
	os, wait := resumable(st, revision)
	if wait > 0 {
		st.requeueAfter = wait
		return nil
	}
	started := os != nil
	if os == nil {
		op, ok := r.nextOperation(st, revision)
		if !ok {
			return nil
		}
		os = r.newOperationState(st, op, revision)
	}
	if r.windowHolds(st, os, started) {
		return nil
	}
	r.advance(ctx, st, os)
	app.Status.OperationState = os
	// The comparison was brought up to date with what the sync wrote, so
	// the status written now is the status after the sync.
	st.synced = inSync(st.resources)
	if !os.Phase.Completed() {
		// Resume soon; watch events on the operation's objects come sooner.
		st.requeueAfter = time.Second
	}
	if os.Phase == v1alpha1.OperationFailed && r.scheduleRetry(st, os) {
		return nil
	}
	if !os.Phase.Completed() {
		return nil
	}
	recordSync(app, os)
	if os.Phase == v1alpha1.OperationSucceeded && !os.Operation.Sync.DryRun {
		r.appendHistory(st, os)
	} else if os.Phase != v1alpha1.OperationSucceeded {
		st.condition(v1alpha1.ApplicationConditionSyncError, os.Message)
	}
	if app.Operation != nil {
		st.operationDone = true
		r.finished.record(app)
	}
	return nil
}

// retryStrategy is the operation's retry strategy, else the Application's.
func retryStrategy(app *v1alpha1.Application, op v1alpha1.Operation) *v1alpha1.RetryStrategy {
	if op.Retry.Limit != 0 {
		return &op.Retry
	}
	if app.Spec.SyncPolicy != nil {
		return app.Spec.SyncPolicy.Retry
	}
	return nil
}

// scheduleRetry turns a failed attempt into a wait for the next one when
// the retry strategy allows it: the operation stays Running, its finishedAt
// marks the failed attempt and its message says when the next starts.
func (r *Reconciler) scheduleRetry(st *state, os *v1alpha1.OperationState) bool {
	strategy := retryStrategy(st.app, os.Operation)
	if strings.HasPrefix(os.Message, sync.MessageTerminated) || !sync.RetryAllowed(strategy, os.RetryCount) {
		return false
	}
	delay, err := sync.RetryDelay(strategy, os.RetryCount)
	if err != nil {
		os.Message += "; not retried: " + err.Error()
		return false
	}
	st.condition(v1alpha1.ApplicationConditionSyncError, os.Message)
	os.Phase = v1alpha1.OperationRunning
	os.Message = fmt.Sprintf("retrying attempt #%d in %s: %s", os.RetryCount+1, delay, os.Message)
	st.requeueAfter = delay
	return true
}

// resumable returns a copy of the running operation to carry on with, or
// nil when there is none or a new request replaced it. A failed attempt
// waiting to be retried gives the wait instead, until its backoff is over;
// then it starts again from its first step. An operation whose revision
// moved on while it ran carries on at the new one (see advance), as Argo
// CD lets a running operation finish rather than drop it.
func resumable(st *state, revision string) (*v1alpha1.OperationState, time.Duration) {
	app := st.app
	cur := app.Status.OperationState
	if cur == nil || cur.Phase.Completed() {
		return nil, 0
	}
	if app.Operation != nil && !equality.Semantic.DeepEqual(*app.Operation, cur.Operation) {
		return nil, 0
	}
	os := cur.DeepCopy()
	if os.SyncResult == nil {
		os.SyncResult = &v1alpha1.SyncOperationResult{}
	}
	switch {
	case app.Operation == nil && !os.Operation.InitiatedBy.Automated:
		// The request was withdrawn: the operation ends.
		os.Phase = v1alpha1.OperationTerminating
	case os.FinishedAt != nil && os.Phase == v1alpha1.OperationRunning:
		delay, _ := sync.RetryDelay(retryStrategy(app, os.Operation), os.RetryCount)
		if wait := os.FinishedAt.Add(delay).Sub(st.now); wait > 0 {
			return nil, wait
		}
		os.FinishedAt, os.RetryCount = nil, os.RetryCount+1
		os.SyncResult.Resources = nil
	}
	if os.SyncResult.Revision != revision {
		st.revisionMoved = true
		os.SyncResult.Revision, os.SyncResult.Revisions = revision, st.revisions
		if os.Operation.InitiatedBy.Automated {
			os.Operation.Sync.Revision = revision
		}
	}
	return os, 0
}

// nextOperation is a requested sync, or an automated one when the policy
// calls for it.
func (r *Reconciler) nextOperation(st *state, revision string) (v1alpha1.Operation, bool) {
	app := st.app
	if app.Operation != nil && app.Operation.Sync != nil {
		if st.leftover {
			// This request has run; only clearing it failed.
			st.operationDone = true
			return v1alpha1.Operation{}, false
		}
		return *app.Operation, r.startsNow(st)
	}
	if awaitingDeletion(st) {
		// The deletions' end, which the watch brings, queues a pass.
		return v1alpha1.Operation{}, false
	}
	rec := r.heals.get(appKey(app), revision, st.now)
	d := sync.DecideAutoSync(sync.AutoSyncInput{
		Policy: app.Spec.SyncPolicy, Status: syncCode(st), Revision: revision, Desired: len(st.desired), PruneOnly: pruneOnly(st),
		Last: app.Status.OperationState, SourceChanged: sourceChanged(app), KindsKnown: !st.unknownKinds,
		HealAttempts: rec.attempts, LastHeal: rec.last, Now: st.now,
	})
	if d.Reason != "" {
		st.condition(v1alpha1.ApplicationConditionSyncError, d.Reason)
	}
	if d.RetryAfter > 0 {
		st.requeueAfter = d.RetryAfter
	}
	if !d.Sync || !r.startsNow(st) {
		return v1alpha1.Operation{}, false
	}
	if last := app.Status.OperationState; last != nil && last.SyncResult != nil && last.SyncResult.Revision == revision {
		r.heals.record(appKey(app), revision, st.now)
	}
	op := v1alpha1.Operation{
		Sync:        &v1alpha1.SyncOperation{Revision: revision, Prune: app.Spec.SyncPolicy.GetAutomated().Prune},
		InitiatedBy: v1alpha1.OperationInitiator{Automated: true},
	}
	op.Retry = sync.AutomatedRetry(app.Spec.SyncPolicy.Retry)
	return op, true
}

// startsNow reports whether a new operation may start now, and otherwise
// makes the pass come back when it may. An operation is known by its
// startedAt (which hooks' names, Events and logs build on), and the API
// holds that time to the second: a new operation waits for the second
// after the one its predecessor started in, less than a second.
func (r *Reconciler) startsNow(st *state) bool {
	wait := startWait(st.app.Status.OperationState, r.Clock.Now())
	if wait > 0 {
		st.requeueWithin(wait)
	}
	return wait == 0
}

// startWait is how long an operation that would start at now waits for the
// second after the one last started in; 0 when that second is over.
func startWait(last *v1alpha1.OperationState, now time.Time) time.Duration {
	if last == nil {
		return 0
	}
	second := now.Truncate(time.Second)
	if !second.Equal(last.StartedAt.Time.Truncate(time.Second)) {
		return 0
	}
	return second.Add(time.Second).Sub(now)
}

func (r *Reconciler) newOperationState(st *state, op v1alpha1.Operation, revision string) *v1alpha1.OperationState {
	os := &v1alpha1.OperationState{Operation: op, Phase: v1alpha1.OperationRunning, StartedAt: metav1.NewTime(r.Clock.Now()).Rfc3339Copy(),
		SyncResult: &v1alpha1.SyncOperationResult{Revision: revision, Revisions: st.revisions}}
	syncedSources(os.SyncResult, &st.app.Spec, op.Sync)
	os.SyncResult.ManagedNamespaceMetadata = managedNamespaceMetadata(st.app)
	return os
}

// sourceChanged reports whether the Application's sources differ from
// those its last operation synced.
func sourceChanged(app *v1alpha1.Application) bool {
	last := app.Status.OperationState
	if last == nil || last.SyncResult == nil {
		return false
	}
	if namespaceMetadataMoved(app) {
		return true
	}
	if app.Spec.Source != nil {
		return !equality.Semantic.DeepEqual(*app.Spec.Source, last.SyncResult.Source)
	}
	return !equality.Semantic.DeepEqual(app.Spec.Sources, last.SyncResult.Sources)
}

// syncComing reports whether an automated sync will run for what is
// desired now: the revision or the sources moved since the last operation.
func syncComing(st *state) bool {
	last := st.app.Status.OperationState
	if !st.app.Spec.SyncPolicy.IsAutomatedSyncEnabled() {
		return false
	}
	if last == nil || last.SyncResult == nil {
		return true
	}
	return last.SyncResult.Revision != revisionOf(st.revisions) || sourceChanged(st.app)
}

// pruneOnly reports whether the only differences are extraneous objects.
func pruneOnly(st *state) bool {
	extra := false
	for _, res := range st.resources {
		if res.extraneous {
			extra = true
		} else if res.modified || res.live == nil {
			return false
		}
	}
	return extra
}

func syncCode(st *state) v1alpha1.SyncStatusCode {
	if st.synced {
		return v1alpha1.SyncStatusCodeSynced
	}
	return v1alpha1.SyncStatusCodeOutOfSync
}

// appendHistory records a successful sync, keeping revisionHistoryLimit
// entries.
func (r *Reconciler) appendHistory(st *state, os *v1alpha1.OperationState) {
	app := st.app
	var id int64
	if n := len(app.Status.History); n > 0 {
		id = app.Status.History[n-1].ID + 1
	}
	h := v1alpha1.RevisionHistory{ID: id, Revision: os.SyncResult.Revision, DeployedAt: *os.FinishedAt,
		DeployStartedAt: &os.StartedAt, Source: os.SyncResult.Source, Sources: os.SyncResult.Sources,
		InitiatedBy: os.Operation.InitiatedBy}
	if len(st.revisions) > 1 {
		h.Revisions = st.revisions
	}
	app.Status.History = append(app.Status.History, h)
	if limit := historyLimit(app.Spec.RevisionHistoryLimit); len(app.Status.History) > limit {
		app.Status.History = app.Status.History[len(app.Status.History)-limit:]
	}
}

// maxHistoryLimit bounds status.history whatever revisionHistoryLimit
// says: the history lives in the Application, and an Application too large
// to be written can record no progress at all.
const maxHistoryLimit = 100

// historyLimit is how many history entries to keep for
// spec.revisionHistoryLimit: the default when unset or negative (not a
// count), at most maxHistoryLimit.
func historyLimit(limit *int64) int {
	switch {
	case limit == nil || *limit < 0:
		return int(v1alpha1.DefaultRevisionHistoryLimit)
	case *limit > maxHistoryLimit:
		return maxHistoryLimit
	}
	return int(*limit)
}

// selected reports whether a sync limited to resources includes obj; an
// empty list selects everything.
func selected(resources []v1alpha1.SyncOperationResource, obj *unstructured.Unstructured) bool {
	if len(resources) == 0 {
		return true
	}
	gvk := obj.GroupVersionKind()
	for _, r := range resources {
		if r.Group == gvk.Group && r.Kind == gvk.Kind && r.Name == obj.GetName() && (r.Namespace == "" || r.Namespace == obj.GetNamespace()) {
			return true
		}
	}
	return false
}
