package application

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/apply"
	"github.com/capstan-cd/capstan/internal/health"
	"github.com/capstan-cd/capstan/internal/sync"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// terminated is the message of an operation ended by its user.
const terminated = "operation terminated"

// advance runs the operation as far as it can go in this pass. The plan is
// made afresh from this pass's render and comparison; a task already in
// the operation's results has run and is not run again. A step starts only
// when everything the operation applied so far is healthy and its hooks
// have finished; the operation succeeds once every step has run and its
// hooks have succeeded (the last wave's objects are not waited for).
func (r *Reconciler) advance(ctx context.Context, st *state, os *v1alpha1.OperationState) {
	op := os.Operation
	st.operation = os
	if os.Phase == v1alpha1.OperationTerminating {
		r.finish(os, v1alpha1.OperationFailed, terminated)
		return
	}
	if want := op.Sync.Revision; want != "" && want != os.SyncResult.Revision && !st.targets(want) {
		r.finish(os, v1alpha1.OperationFailed, fmt.Sprintf("syncing to revision %s, other than the target revision, is not supported yet; change targetRevision instead", want))
		return
	}
	plan, err := r.planFor(ctx, st, os)
	if err != nil {
		r.fail(ctx, st, os, err)
		return
	}
	if st.revisionMoved {
		os.SyncResult.Resources = stillDone(st, os.SyncResult.Resources)
	}
	done := map[string]bool{}
	for _, rr := range os.SyncResult.Resources {
		done[resultKey(rr)] = true
	}
	dryRun := op.Sync.DryRun
	for _, step := range plan.Steps {
		var pending []sync.Task
		for _, task := range step.Tasks {
			if !done[taskKey(task)] {
				pending = append(pending, task)
			}
		}
		if len(pending) == 0 {
			continue
		}
		if !dryRun {
			if waiting, err := r.gate(ctx, st, os.SyncResult); interrupted(st, err) {
				return
			} else if err != nil {
				r.fail(ctx, st, os, err)
				return
			} else if waiting != "" {
				os.Message = waiting
				return
			}
		}
		if createsHooks(pending) {
			if err := r.persist(ctx, st); err != nil {
				interrupted(st, err)
				return
			}
		}
		if err := r.runTasks(ctx, st, pending, dryRun, os.SyncResult); err != nil {
			r.fail(ctx, st, os, err)
			return
		}
		if st.waiting != "" {
			os.Message = st.waiting
			return
		}
	}
	if len(plan.AwaitingConfirmation) > 0 {
		// Everything else has run; the held prunes wait for the
		// Application's deletion-approved annotation, and then this same
		// operation prunes them and ends.
		os.Message = "waiting for pruning confirmation of " + strings.Join(plan.AwaitingConfirmation, ", ")
		return
	}
	if waiting, err := r.hooksFinished(ctx, st, os.SyncResult); interrupted(st, err) {
		return
	} else if err != nil {
		r.fail(ctx, st, os, err)
		return
	} else if waiting != "" {
		os.Message = waiting
		return
	}
	r.finish(os, v1alpha1.OperationSucceeded, "successfully synced (all tasks run)")
}

// createsHooks reports whether any of tasks creates a hook.
func createsHooks(tasks []sync.Task) bool {
	for _, task := range tasks {
		if task.Hook && task.Action != sync.ActionPrune {
			return true
		}
	}
	return false
}

// stillDone keeps, of an operation whose revision moved on, the results
// that hold at the new revision: hooks (which ran for this operation),
// prunes, and objects the new comparison finds in sync. An object the new
// revision changed is applied again.
func stillDone(st *state, results []v1alpha1.ResourceResult) []v1alpha1.ResourceResult {
	out := results[:0:0]
	for _, rr := range results {
		if rr.HookType == "" && rr.Status == v1alpha1.ResultCodeSynced && st.outOfSync(&rr) {
			continue
		}
		out = append(out, rr)
	}
	return out
}

// outOfSync reports whether the comparison found the result's object
// different from its desired state.
func (st *state) outOfSync(rr *v1alpha1.ResourceResult) bool {
	for _, res := range st.resources {
		if res.desired != nil && sameObject(res.desired, rr) {
			return res.modified || res.live == nil
		}
	}
	return false
}

// planFor orders the sync of this pass's comparison. The operation's first
// pass also creates the namespace.
func (r *Reconciler) planFor(ctx context.Context, st *state, os *v1alpha1.OperationState) (sync.Plan, error) {
	app, op := st.app, os.Operation
	starting := len(os.SyncResult.Resources) == 0
	opts, err := sync.ParseOptions(syncOptions(app, op))
	if err != nil {
		return sync.Plan{}, err
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
			return sync.Plan{}, fmt.Errorf("%s is managed by another application (FailOnSharedResource=true)", tracking.Describe(res.live))
		case res.shared:
			continue
		case res.extraneous:
			extraneous = append(extraneous, res.live)
		case (opts.ApplyOutOfSyncOnly || op.InitiatedBy.Automated) && !res.modified && res.live != nil:
			// An automated sync leaves what is known to be in sync alone:
			// applying it again would change nothing.
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
	plan, err := sync.NewPlan(sync.PlanInput{Desired: desired, Extraneous: extraneous, Options: opts, Prune: op.Sync.Prune,
		PruneApproved: deletionApproved(app, os.StartedAt.Time)})
	if err != nil {
		return sync.Plan{}, err
	}
	if err := respectIgnoreDifferences(app, plan); err != nil {
		return sync.Plan{}, err
	}
	if plan.NeedsPruneConfirmation {
		st.condition(v1alpha1.ApplicationConditionSyncError, "some resources wait for the deletion-approved annotation to be pruned (Prune=confirm)")
	}
	if starting && opts.CreateNamespace && app.Spec.Destination.Namespace != "" {
		if err := r.ensureNamespace(ctx, st, op.Sync.DryRun, false); err != nil {
			return sync.Plan{}, err
		}
	}
	return plan, nil
}

// ensureNamespace creates the destination namespace (CreateNamespace), with
// managedNamespaceMetadata. A namespace this process already ensured with
// the same metadata is not asked for again unless again is set (an apply
// found it missing).
func (r *Reconciler) ensureNamespace(ctx context.Context, st *state, dryRun, again bool) error {
	app, t := st.app, st.target
	var labels, annotations map[string]string
	if sp := app.Spec.SyncPolicy; sp != nil && sp.ManagedNamespaceMetadata != nil {
		labels, annotations = sp.ManagedNamespaceMetadata.Labels, sp.ManagedNamespaceMetadata.Annotations
	}
	meta, _ := json.Marshal([]any{labels, annotations})
	key := app.Spec.Destination.Namespace + "|" + string(meta)
	if !dryRun && !again && t.ensured(key) {
		return nil
	}
	ensure := t.applier.EnsureNamespace
	if exists, known := st.namespaces[app.Spec.Destination.Namespace]; known && !exists {
		ensure = t.applier.CreateNamespace // the comparison found it missing
	}
	if err := ensure(ctx, app.Spec.Destination.Namespace, labels, annotations, dryRun); err != nil {
		return err
	}
	if !dryRun {
		t.namespaces.Store(key, true)
	}
	return nil
}

// deletionApproved reports whether the Application approves the prunes
// Prune=confirm holds back in an operation started at started: its
// deletion-approved annotation is a time (RFC 3339) at or after that
// start, as Argo CD writes it, so an old approval never covers new
// prunes.
func deletionApproved(app *v1alpha1.Application, started time.Time) bool {
	v, ok := app.Annotations[AnnotationDeletionApproved]
	if !ok {
		return false
	}
	at, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
	return err == nil && !at.Before(started.Truncate(time.Second))
}

// respectIgnoreDifferences refuses a sync that asks, with
// RespectIgnoreDifferences=true, to keep the live values of ignored
// fields: capstan does not carry them over yet, and applying the desired
// values would overwrite what the user asked to keep.
func respectIgnoreDifferences(app *v1alpha1.Application, plan sync.Plan) error {
	if len(app.Spec.IgnoreDifferences) == 0 {
		return nil
	}
	for _, step := range plan.Steps {
		for _, task := range step.Tasks {
			if task.Action == sync.ActionApply && task.Options.RespectIgnoreDifferences {
				return fmt.Errorf("%s: RespectIgnoreDifferences=true is not supported yet; nothing was applied, so the ignored fields keep their live values", tracking.Describe(task.Object))
			}
		}
	}
	return nil
}

// syncOptions are the Application's sync options followed by the
// operation's, which win.
func syncOptions(app *v1alpha1.Application, op v1alpha1.Operation) []string {
	var list []string
	if app.Spec.SyncPolicy != nil {
		list = append(list, app.Spec.SyncPolicy.SyncOptions...)
	}
	if op.Sync != nil {
		list = append(list, op.Sync.SyncOptions...)
	}
	return list
}

// runTasks applies or prunes each task and records its result; a hook is
// recorded Running until its health says it finished.
func (r *Reconciler) runTasks(ctx context.Context, st *state, tasks []sync.Task, dryRun bool, result *v1alpha1.SyncOperationResult) error {
	t := st.target
	var errs []error
	for _, task := range tasks {
		obj := task.Object
		rr := resultFor(obj, syncPhase(task.Phase))
		var err error
		switch task.Action {
		case sync.ActionPrune:
			if !dryRun {
				err = t.applier.Delete(ctx, obj, task.Options.PrunePropagationPolicy)
			}
			rr.Status, rr.Message = v1alpha1.ResultCodePruned, "pruned"
		default:
			var adopted bool
			if task.Hook {
				rr.HookType = v1alpha1.HookType(rr.SyncPhase)
				rr.HookPhase = v1alpha1.OperationRunning
				if !dryRun {
					obj = markRun(obj, runID(st.operation))
					adopted, err = r.prepareHook(ctx, st, obj)
				}
			}
			var stored *unstructured.Unstructured
			if adopted {
				rr.Status, rr.Message = v1alpha1.ResultCodeSynced, "applied"
				result.Resources = append(result.Resources, rr)
				continue
			}
			if err == nil {
				stored, err = t.applier.Apply(ctx, obj, apply.Options{DryRun: dryRun, Validate: task.Options.Validate, Replace: task.Options.Replace, Force: task.Options.Force})
			}
			if err != nil && !dryRun && missingNamespace(err) && task.Options.CreateNamespace && obj.GetNamespace() == st.app.Spec.Destination.Namespace {
				// The namespace went away since it was ensured.
				if err = r.ensureNamespace(ctx, st, false, true); err == nil {
					stored, err = t.applier.Apply(ctx, obj, apply.Options{Validate: task.Options.Validate, Replace: task.Options.Replace, Force: task.Options.Force})
				}
			}
			if dryRun && err != nil && st.namespaceCreatedBySync(obj.GetNamespace(), task.Options) && missingNamespace(err) {
				err = nil // the real sync creates the namespace first
			}
			if dryRun {
				rr.HookPhase = ""
			} else if err == nil && !task.Hook {
				st.justApplied(rr, stored)
			}
			r.afterWrite(st, task, stored, err == nil && !dryRun)
			rr.Status, rr.Message = v1alpha1.ResultCodeSynced, "applied"
		}
		if errors.Is(err, errHookDeleting) {
			// Not done: a later pass creates the hook.
			st.waiting = fmt.Sprintf("waiting for the previous run of hook %s to be deleted", tracking.Describe(obj))
			continue
		}
		if err != nil {
			rr.Status, rr.Message, rr.HookPhase = v1alpha1.ResultCodeSyncFailed, err.Error(), ""
			errs = append(errs, err)
		}
		result.Resources = append(result.Resources, rr)
	}
	return errors.Join(errs...)
}

// afterWrite updates the verdict on an object the sync wrote: what the
// apply returned is the live object, in sync by construction, so the next
// comparison needs no read or dry run of it. Anything else (a hook, a
// failed or dry-run write) is read afresh next time.
func (r *Reconciler) afterWrite(st *state, task sync.Task, stored *unstructured.Unstructured, written bool) {
	obj := task.Object
	key := objectKey(st.target.cluster.Server, obj.GroupVersionKind(), obj.GetNamespace(), obj.GetName())
	if !written || task.Hook || stored == nil {
		r.verdicts.forget(appKey(st.app), key)
		return
	}
	res := &resource{desired: obj}
	for _, compared := range st.resources {
		if compared.desired == obj {
			res = compared
		}
	}
	// The comparison of this pass now reads as after the write.
	res.live, res.modified = metadataOf(stored), false
	res.health, _ = st.assess(stored)
	r.remember(st, key, hashObject(obj)+st.compareKey, stored, res)
}

// namespaceCreatedBySync reports whether a sync creates namespace ns
// before it applies what goes in it: CreateNamespace for the destination,
// or a Namespace among the desired objects.
func (st *state) namespaceCreatedBySync(ns string, opts sync.Options) bool {
	if ns == "" {
		return false
	}
	if opts.CreateNamespace && ns == st.app.Spec.Destination.Namespace {
		return true
	}
	for _, obj := range st.desired {
		if obj.GetKind() == "Namespace" && obj.GroupVersionKind().Group == "" && obj.GetName() == ns {
			return true
		}
	}
	return false
}

// missingNamespace reports whether err is the API server refusing an
// object because its namespace does not exist.
func missingNamespace(err error) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || !apierrors.IsNotFound(err) {
		return false
	}
	d := status.Status().Details
	return d != nil && d.Kind == "namespaces"
}

// gate says what the operation waits for before its next step: an object
// it applied that is not yet healthy, or a hook still running. A Degraded
// object or a failed hook is an error that fails the operation.
func (r *Reconciler) gate(ctx context.Context, st *state, result *v1alpha1.SyncOperationResult) (string, error) {
	waiting := ""
	for i := range result.Resources {
		rr := &result.Resources[i]
		if rr.Status != v1alpha1.ResultCodeSynced {
			continue
		}
		var h *health.Status
		var err error
		if rr.HookType != "" {
			if rr.HookPhase != v1alpha1.OperationRunning {
				continue
			}
			h, err = r.hookHealth(ctx, st, rr)
		} else {
			h = st.healthOf(rr)
		}
		if err != nil {
			return "", err
		}
		name := describeResult(rr)
		switch {
		case h == nil || h.Code == v1alpha1.HealthStatusHealthy || h.Code == v1alpha1.HealthStatusSuspended:
		case h.Code == v1alpha1.HealthStatusDegraded && rr.HookType != "":
			return "", fmt.Errorf("hook %s failed: %s", name, h.Message)
		case h.Code == v1alpha1.HealthStatusDegraded:
			return "", fmt.Errorf("%s is Degraded: %s", name, h.Message)
		case waiting == "":
			waiting = fmt.Sprintf("waiting for %s to become healthy (%s: %s)", name, h.Code, h.Message)
		}
	}
	return waiting, nil
}

// hookHealth reads a running hook, moves its phase on when it finished,
// and deletes it when its delete policy says so.
func (r *Reconciler) hookHealth(ctx context.Context, st *state, rr *v1alpha1.ResourceResult) (*health.Status, error) {
	t := st.target
	ref := resultObject(rr)
	live, err := t.applier.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	if live == nil {
		rr.HookPhase, rr.Message = v1alpha1.OperationFailed, "the hook was deleted before it finished"
		return nil, fmt.Errorf("hook %s was deleted before it finished", describeResult(rr))
	}
	h, err := st.assess(live)
	if err != nil {
		return nil, err
	}
	policies := sync.DeletePoliciesOf(live)
	switch {
	case h == nil || h.Code == v1alpha1.HealthStatusHealthy:
		rr.HookPhase, rr.Message = v1alpha1.OperationSucceeded, "hook succeeded"
		if slices.Contains(policies, v1alpha1.HookDeletePolicyHookSucceeded) {
			// Recorded first: a hook found gone while recorded Running
			// failed.
			if err := r.persist(ctx, st); err != nil {
				return nil, err
			}
			return nil, t.applier.Delete(ctx, live, metav1.DeletePropagationBackground)
		}
		return nil, nil
	case h.Code == v1alpha1.HealthStatusDegraded:
		rr.HookPhase, rr.Message = v1alpha1.OperationFailed, h.Message
		if slices.Contains(policies, v1alpha1.HookDeletePolicyHookFailed) {
			if err := r.persist(ctx, st); err != nil {
				return nil, err
			}
			if err := t.applier.Delete(ctx, live, metav1.DeletePropagationBackground); err != nil {
				return nil, err
			}
		}
	}
	return h, nil
}

// hooksFinished is the operation's last wait: for its hooks, not for the
// health of the objects of its last step.
func (r *Reconciler) hooksFinished(ctx context.Context, st *state, result *v1alpha1.SyncOperationResult) (string, error) {
	for i := range result.Resources {
		rr := &result.Resources[i]
		if rr.HookType == "" || rr.HookPhase != v1alpha1.OperationRunning {
			continue
		}
		h, err := r.hookHealth(ctx, st, rr)
		if err != nil {
			return "", err
		}
		if h != nil && h.Code == v1alpha1.HealthStatusDegraded {
			return "", fmt.Errorf("hook %s failed: %s", describeResult(rr), h.Message)
		}
		if rr.HookPhase == v1alpha1.OperationRunning {
			return fmt.Sprintf("waiting for hook %s to finish (%s: %s)", describeResult(rr), h.Code, h.Message), nil
		}
	}
	return "", nil
}

// fail ends the operation with err, after creating the SyncFail hooks.
func (r *Reconciler) fail(ctx context.Context, st *state, os *v1alpha1.OperationState, err error) {
	msg := err.Error()
	if !os.Operation.Sync.DryRun && st.target != nil {
		var hooks []sync.Task
		for _, obj := range st.desired {
			if h := sync.HookOf(obj); h.IsHook && !h.Skip && slices.Contains(h.Phases, sync.PhaseSyncFail) {
				hooks = append(hooks, sync.Task{Action: sync.ActionApply, Object: obj, Phase: sync.PhaseSyncFail, Hook: true, Options: sync.Options{Validate: true}})
			}
		}
		if len(hooks) > 0 {
			if err := r.persist(ctx, st); err != nil {
				interrupted(st, err)
				return
			}
		}
		if hookErr := r.runTasks(ctx, st, hooks, false, os.SyncResult); hookErr != nil {
			msg += "; SyncFail hooks: " + hookErr.Error()
		}
	}
	r.finish(os, v1alpha1.OperationFailed, msg)
}

func (r *Reconciler) finish(os *v1alpha1.OperationState, phase v1alpha1.OperationPhase, msg string) {
	now := metav1.NewTime(r.Clock.Now()).Rfc3339Copy()
	os.Phase, os.Message, os.FinishedAt = phase, msg, &now
}

// healthOf is the health the comparison found for a result's object; nil
// when it has none of its own, Missing when it is not there.
func (st *state) healthOf(rr *v1alpha1.ResourceResult) *health.Status {
	if h, ok := st.applied[resultKey(*rr)]; ok {
		return h
	}
	for _, res := range st.resources {
		if res.desired == nil || !sameObject(res.desired, rr) {
			continue
		}
		if res.live == nil {
			return &health.Status{Code: v1alpha1.HealthStatusMissing, Message: "not created yet"}
		}
		return res.health
	}
	return nil // no longer desired: nothing to wait for
}

// justApplied notes the health of an object as the apply stored it: the
// comparison of this pass saw it before the write.
func (st *state) justApplied(rr v1alpha1.ResourceResult, stored *unstructured.Unstructured) {
	if st.applied == nil {
		st.applied = map[string]*health.Status{}
	}
	h, err := st.assess(stored)
	if err != nil || stored == nil {
		h = &health.Status{Code: v1alpha1.HealthStatusProgressing, Message: "just applied"}
	}
	st.applied[resultKey(rr)] = h
}

func sameObject(obj *unstructured.Unstructured, rr *v1alpha1.ResourceResult) bool {
	gvk := obj.GroupVersionKind()
	return gvk.Group == rr.Group && gvk.Kind == rr.Kind && obj.GetNamespace() == rr.Namespace && obj.GetName() == rr.Name
}

func resultFor(obj *unstructured.Unstructured, phase v1alpha1.SyncPhase) v1alpha1.ResourceResult {
	gvk := obj.GroupVersionKind()
	return v1alpha1.ResourceResult{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind,
		Namespace: obj.GetNamespace(), Name: obj.GetName(), SyncPhase: phase}
}

// resultObject names a result's object, enough to read or delete it.
func resultObject(rr *v1alpha1.ResourceResult) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.GroupVersionKind{Group: rr.Group, Version: rr.Version, Kind: rr.Kind})
	u.SetNamespace(rr.Namespace)
	u.SetName(rr.Name)
	return u
}

func describeResult(rr *v1alpha1.ResourceResult) string {
	return tracking.Describe(resultObject(rr))
}

// resultKey and taskKey match a task with its recorded result.
func resultKey(rr v1alpha1.ResourceResult) string {
	return string(rr.SyncPhase) + "|" + rr.Group + "/" + rr.Kind + "|" + rr.Namespace + "/" + rr.Name
}

func taskKey(task sync.Task) string {
	return resultKey(resultFor(task.Object, syncPhase(task.Phase)))
}

// prepareHook readies the creation of a hook. A hook this run of the
// operation already created is adopted (adopted is true): the pass that
// created it did not record it. Otherwise the hook's previous run is
// deleted before it is created again (the BeforeHookCreation delete
// policy, the default). A run that takes longer than hookDeleteWait to go
// (Pods with a grace period, a finalizer) is waited for by the operation,
// not by the worker: errHookDeleting leaves the hook's task to a later
// pass.
func (r *Reconciler) prepareHook(ctx context.Context, st *state, obj *unstructured.Unstructured) (adopted bool, err error) {
	t := st.target
	live, err := t.applier.Get(ctx, obj)
	if err != nil || live == nil {
		return false, err
	}
	if ranHere(live, obj.GetAnnotations()[annotationHookRun]) && live.GetDeletionTimestamp() == nil {
		return true, nil
	}
	if !slices.Contains(sync.DeletePoliciesOf(obj), v1alpha1.HookDeletePolicyBeforeHookCreation) {
		return false, nil
	}
	if live.GetDeletionTimestamp() == nil {
		if err := t.applier.Delete(ctx, live, metav1.DeletePropagationForeground); err != nil {
			return false, err
		}
	}
	waitCtx, cancel := context.WithTimeout(ctx, hookDeleteWait)
	defer cancel()
	if err := t.applier.WaitDeleted(waitCtx, live); err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return false, errHookDeleting
		}
		return false, err
	}
	return false, nil
}

// hookDeleteWait is how long a pass waits for a hook's previous run to go.
const hookDeleteWait = 3 * time.Second

var errHookDeleting = errors.New("the previous run of the hook is still being deleted")
