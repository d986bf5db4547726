package application

import (
	"context"
	"errors"
	"fmt"
	"strings"
	gosync "sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/apply"
	"github.com/capstan-cd/capstan/internal/health"
	"github.com/capstan-cd/capstan/internal/sync"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// AnnotationDeletionApproved on an Application approves the prunes that
// Prune=confirm holds back.
const AnnotationDeletionApproved = "argocd.argoproj.io/deletion-approved"

// stepHealthTimeout bounds the wait for one wave's objects to become
// healthy before the next wave starts.
const stepHealthTimeout = 2 * time.Minute

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

func (h *heals) get(app, revision string) healRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	if rec, ok := h.m[app]; ok && rec.revision == revision {
		return rec
	}
	return healRecord{revision: revision}
}

func (h *heals) record(app, revision string, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]healRecord{}
	}
	rec := h.m[app]
	if rec.revision != revision {
		rec = healRecord{revision: revision}
	}
	rec.attempts++
	rec.last = now
	h.m[app] = rec
}

func revisionOf(revisions []string) string { return strings.Join(revisions, ",") }

// sync runs a requested sync (the operation field) or an automated one when
// the policy calls for it.
func (r *Reconciler) sync(ctx context.Context, st *state) error {
	app := st.app
	revision := revisionOf(st.revisions)
	var op v1alpha1.Operation
	switch {
	case app.Operation != nil && app.Operation.Sync != nil:
		op = *app.Operation
	default:
		rec := r.heals.get(app.Name, revision)
		d := sync.DecideAutoSync(sync.AutoSyncInput{
			Policy: app.Spec.SyncPolicy, Status: syncCode(st), Revision: revision, Desired: len(st.desired), PruneOnly: pruneOnly(st),
			Last: app.Status.OperationState, HealAttempts: rec.attempts, LastHeal: rec.last, Now: st.now,
		})
		if d.Reason != "" {
			st.condition(v1alpha1.ApplicationConditionSyncError, d.Reason)
		}
		if d.RetryAfter > 0 {
			st.requeueAfter = d.RetryAfter
		}
		if !d.Sync {
			return nil
		}
		if last := app.Status.OperationState; last != nil && last.SyncResult != nil && last.SyncResult.Revision == revision {
			r.heals.record(app.Name, revision, st.now)
		}
		op = v1alpha1.Operation{
			Sync:        &v1alpha1.SyncOperation{Revision: revision, Prune: app.Spec.SyncPolicy.GetAutomated().Prune},
			InitiatedBy: v1alpha1.OperationInitiator{Automated: true},
		}
	}
	result := r.runSync(ctx, st, op, revision)
	recordSync(app, result)
	app.Status.OperationState = result
	if result.Phase == v1alpha1.OperationSucceeded && !op.Sync.DryRun {
		r.appendHistory(st, result)
	} else {
		st.condition(v1alpha1.ApplicationConditionSyncError, result.Message)
	}
	st.synced = false
	st.operationDone = app.Operation != nil
	// Look again soon: the objects just written are compared afresh.
	st.requeueAfter = time.Second
	return nil
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

func (r *Reconciler) runSync(ctx context.Context, st *state, op v1alpha1.Operation, revision string) *v1alpha1.OperationState {
	started := metav1.NewTime(r.Clock.Now())
	os := &v1alpha1.OperationState{Operation: op, Phase: v1alpha1.OperationRunning, StartedAt: started,
		SyncResult: &v1alpha1.SyncOperationResult{Revision: revision, Revisions: st.revisions}}
	if src := st.app.Spec.Source; src != nil {
		os.SyncResult.Source = *src
	} else {
		os.SyncResult.Sources = st.app.Spec.Sources
	}
	finish := func(phase v1alpha1.OperationPhase, msg string) *v1alpha1.OperationState {
		now := metav1.NewTime(r.Clock.Now())
		os.Phase, os.Message, os.FinishedAt = phase, msg, &now
		return os
	}
	if want := op.Sync.Revision; want != "" && want != revision && !st.targets(want) {
		return finish(v1alpha1.OperationFailed, fmt.Sprintf("syncing to revision %s, other than the target revision, is not supported yet; change targetRevision instead", want))
	}
	err := r.execute(ctx, st, op, os.SyncResult)
	if err != nil {
		return finish(v1alpha1.OperationFailed, err.Error())
	}
	return finish(v1alpha1.OperationSucceeded, "successfully synced (all tasks run)")
}

// execute plans and runs the sync, recording each object's result.
func (r *Reconciler) execute(ctx context.Context, st *state, op v1alpha1.Operation, result *v1alpha1.SyncOperationResult) error {
	app := st.app
	list := []string(nil)
	if app.Spec.SyncPolicy != nil {
		list = append(list, app.Spec.SyncPolicy.SyncOptions...)
	}
	list = append(list, op.Sync.SyncOptions...)
	opts, err := sync.ParseOptions(list)
	if err != nil {
		return err
	}
	desired, extraneous := []*unstructured.Unstructured{}, []*unstructured.Unstructured{}
	for _, res := range st.resources {
		obj := res.desired
		if obj == nil {
			obj = res.live
		}
		switch {
		case !selected(op.Sync.Resources, obj):
			continue
		case res.shared && opts.FailOnSharedResource:
			return fmt.Errorf("%s is managed by another application (FailOnSharedResource=true)", tracking.Describe(res.live))
		case res.shared:
			continue
		case res.extraneous:
			extraneous = append(extraneous, res.live)
		case opts.ApplyOutOfSyncOnly && !res.modified && res.live != nil:
			continue
		default:
			desired = append(desired, res.desired)
		}
	}
	for _, obj := range st.desired {
		if sync.HookOf(obj).IsHook && len(op.Sync.Resources) == 0 {
			desired = append(desired, obj)
		}
	}
	_, approved := app.Annotations[AnnotationDeletionApproved]
	plan, err := sync.NewPlan(sync.PlanInput{Desired: desired, Extraneous: extraneous, Options: opts, Prune: op.Sync.Prune, PruneApproved: approved})
	if err != nil {
		return err
	}
	if plan.NeedsPruneConfirmation {
		st.condition(v1alpha1.ApplicationConditionSyncError, "some resources wait for the deletion-approved annotation to be pruned (Prune=confirm)")
	}
	t := st.target
	if opts.CreateNamespace && app.Spec.Destination.Namespace != "" {
		var labels, annotations map[string]string
		if sp := app.Spec.SyncPolicy; sp != nil && sp.ManagedNamespaceMetadata != nil {
			labels, annotations = sp.ManagedNamespaceMetadata.Labels, sp.ManagedNamespaceMetadata.Annotations
		}
		if err := t.applier.EnsureNamespace(ctx, app.Spec.Destination.Namespace, labels, annotations, op.Sync.DryRun); err != nil {
			return err
		}
	}
	for _, step := range plan.Steps {
		if err := r.runStep(ctx, t, step, op.Sync.DryRun, result); err != nil {
			return err
		}
	}
	return nil
}

func (r *Reconciler) runStep(ctx context.Context, t *target, step sync.Step, dryRun bool, result *v1alpha1.SyncOperationResult) error {
	var applied []*unstructured.Unstructured
	var errs []error
	for _, task := range step.Tasks {
		obj := task.Object
		rr := v1alpha1.ResourceResult{Group: obj.GroupVersionKind().Group, Version: obj.GroupVersionKind().Version, Kind: obj.GetKind(),
			Namespace: obj.GetNamespace(), Name: obj.GetName(), SyncPhase: syncPhase(task.Phase)}
		if task.Hook {
			rr.HookType = v1alpha1.HookType(syncPhase(task.Phase))
		}
		var err error
		switch task.Action {
		case sync.ActionPrune:
			if !dryRun {
				err = t.applier.Delete(ctx, obj, task.Options.PrunePropagationPolicy)
			}
			rr.Status, rr.Message = v1alpha1.ResultCodePruned, "pruned"
		default:
			if task.Hook && !dryRun {
				err = r.replaceHook(ctx, t, obj)
			}
			if err == nil {
				_, err = t.applier.Apply(ctx, obj, apply.Options{DryRun: dryRun, Validate: task.Options.Validate, Replace: task.Options.Replace, Force: task.Options.Force})
			}
			rr.Status, rr.Message = v1alpha1.ResultCodeSynced, "applied"
			applied = append(applied, obj)
		}
		if err != nil {
			rr.Status, rr.Message = v1alpha1.ResultCodeSyncFailed, err.Error()
			errs = append(errs, err)
		}
		result.Resources = append(result.Resources, rr)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if dryRun {
		return nil
	}
	return r.waitHealthy(ctx, t, applied)
}

// replaceHook deletes a hook's previous run before it is created again
// (Argo CD's default hook-delete-policy, BeforeHookCreation).
func (r *Reconciler) replaceHook(ctx context.Context, t *target, obj *unstructured.Unstructured) error {
	live, err := t.applier.Get(ctx, obj)
	if err != nil || live == nil {
		return err
	}
	if err := t.applier.Delete(ctx, live, metav1.DeletePropagationForeground); err != nil {
		return err
	}
	return t.applier.WaitDeleted(ctx, live)
}

// waitHealthy waits until every object is healthy (or has no health of its
// own); a Degraded object fails the step.
func (r *Reconciler) waitHealthy(ctx context.Context, t *target, objs []*unstructured.Unstructured) error {
	pending := objs
	var last error
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, stepHealthTimeout, true, func(ctx context.Context) (bool, error) {
		var still []*unstructured.Unstructured
		for _, obj := range pending {
			live, err := t.applier.Get(ctx, obj)
			if err != nil {
				return false, err
			}
			h, err := health.Of(live)
			if err != nil {
				return false, err
			}
			switch {
			case h == nil || h.Code == v1alpha1.HealthStatusHealthy || h.Code == v1alpha1.HealthStatusSuspended:
			case h.Code == v1alpha1.HealthStatusDegraded:
				return false, fmt.Errorf("%s is Degraded: %s", tracking.Describe(obj), h.Message)
			default:
				last = fmt.Errorf("%s is %s: %s", tracking.Describe(obj), h.Code, h.Message)
				still = append(still, obj)
			}
		}
		pending = still
		return len(pending) == 0, nil
	})
	if err != nil && last != nil && wait.Interrupted(err) {
		return fmt.Errorf("waiting for health: %w", last)
	}
	return err
}

func syncPhase(p sync.Phase) v1alpha1.SyncPhase {
	switch p {
	case sync.PhasePreSync:
		return v1alpha1.SyncPhasePreSync
	case sync.PhasePostSync:
		return v1alpha1.SyncPhasePostSync
	}
	return v1alpha1.SyncPhaseSync
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
	if limit := int(app.Spec.GetRevisionHistoryLimit()); len(app.Status.History) > limit {
		app.Status.History = app.Status.History[len(app.Status.History)-limit:]
	}
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
