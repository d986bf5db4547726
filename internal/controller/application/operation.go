package application

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/health"
	"github.com/capstan-cd/capstan/internal/sync"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// advance runs the operation as far as it can go in this pass, through
// the engine of package sync; the plan is made afresh from this pass's
// render and comparison.
func (r *Reconciler) advance(ctx context.Context, st *state, os *v1alpha1.OperationState) {
	op := os.Operation
	st.operation = os
	eng := r.engine(st)
	var syncFail []*unstructured.Unstructured
	if sync.HooksRun(op.Sync) {
		syncFail = sync.SyncFailHooks(st.desired)
	}
	var err error
	switch {
	case os.Phase == v1alpha1.OperationTerminating:
		err = eng.Terminate(ctx, os)
	default:
		var plan sync.Plan
		plan, err = r.planFor(ctx, st, os)
		if err != nil {
			err = eng.Fail(ctx, os, err, syncFail)
			break
		}
		if st.revisionMoved {
			os.SyncResult.Resources = stillDone(st, os.SyncResult.Resources)
		}
		err = eng.Advance(ctx, os, plan, syncFail)
	}
	interrupted(st, err)
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
		if sync.HookOf(obj).IsHook && len(op.Sync.Resources) == 0 && sync.HooksRun(op.Sync) {
			desired = append(desired, obj)
		}
	}
	plan, err := sync.NewPlan(sync.PlanInput{Desired: desired, Extraneous: extraneous, Options: opts, Prune: op.Sync.Prune,
		PruneApproved: deletionApproved(app, os.StartedAt.Time)})
	if err != nil {
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
	key := ensuredKey(app.Spec.Destination.Namespace, meta)
	if !dryRun && !again && t.ensured(key) {
		return nil
	}
	ensure := t.applier.EnsureNamespace
	exists, known := st.namespaces[app.Spec.Destination.Namespace]
	if !known {
		exists, known = t.live.NamespaceExists(app.Spec.Destination.Namespace)
	}
	switch {
	case again || known && !exists:
		ensure = t.applier.CreateNamespace // missing: no need to look
	case known && len(labels) == 0 && len(annotations) == 0:
		ensure = nil // there, and nothing of it to set
	}
	if ensure != nil {
		if err := ensure(ctx, app.Spec.Destination.Namespace, labels, annotations, dryRun); err != nil {
			return err
		}
	}
	if !dryRun {
		t.markEnsured(key)
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

// afterWrite updates the verdict on an object the sync wrote: what the
// apply returned is the live object, in sync by construction, so the next
// comparison needs no read or dry run of it. owned is the digest of the
// fields capstan's apply owns on it (ownedFields), and assessed the health
// the pass assessed from it. Anything else (a hook, a failed or dry-run
// write) is read afresh next time.
func (r *Reconciler) afterWrite(st *state, task sync.Task, stored *unstructured.Unstructured, owned string, assessed *health.Status, written bool) {
	obj := task.Object
	key := objectKey(obj.GroupVersionKind(), obj.GetNamespace(), obj.GetName())
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
	res.live, res.modified, res.hash = metadataOf(stored), false, hashObject(obj)+st.compareKey
	res.health = assessed
	// The apply made capstan the owner of every desired field: what it
	// owns now tells later whether someone changed one (ownedFields).
	r.remember(st, key, res.hash, stored, res, owned)
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

// healthOf is the health the comparison found for a result's object; nil
// when it has none of its own, Missing when it is not there.
func (st *state) healthOf(rr *v1alpha1.ResourceResult) *health.Status {
	if h, ok := st.applied[sync.ResultKey(*rr)]; ok {
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
func (st *state) justApplied(rr v1alpha1.ResourceResult, h *health.Status, err error) {
	if st.applied == nil {
		st.applied = map[string]*health.Status{}
	}
	if err != nil {
		h = &health.Status{Code: v1alpha1.HealthStatusProgressing, Message: "just applied"}
	}
	st.applied[sync.ResultKey(rr)] = h
}

func sameObject(obj *unstructured.Unstructured, rr *v1alpha1.ResourceResult) bool {
	gvk := obj.GroupVersionKind()
	return gvk.Group == rr.Group && gvk.Kind == rr.Kind && obj.GetNamespace() == rr.Namespace && obj.GetName() == rr.Name
}
