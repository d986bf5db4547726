package application

import (
	"context"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/clock"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/apply"
	"github.com/capstan-cd/capstan/internal/health"
	"github.com/capstan-cd/capstan/internal/sync"
)

// operationCluster is the destination and record of one pass's operation,
// as the sync engine sees them: writes go through the target's applier and
// update this pass's comparison; checkpoints patch the Application's
// status.
type operationCluster struct {
	r  *Reconciler
	st *state
}

var _ sync.Cluster = operationCluster{}

// engine is the sync engine for one pass over st.
func (r *Reconciler) engine(st *state) *sync.Engine {
	var c clock.PassiveClock = r.Clock
	if c == nil {
		c = clock.RealClock{}
	}
	return &sync.Engine{Cluster: operationCluster{r: r, st: st}, Clock: c}
}

// Apply writes obj with the task's options. A destination namespace that
// went away since it was ensured is created again; a dry run does not fail
// for a namespace the sync itself creates first.
func (c operationCluster) Apply(ctx context.Context, task sync.Task, obj *unstructured.Unstructured, dryRun bool) error {
	r, st := c.r, c.st
	t := st.target
	opts := apply.Options{DryRun: dryRun, Validate: task.Options.Validate, Replace: task.Options.Replace, Force: task.Options.Force}
	if task.Options.RespectIgnoreDifferences && !task.Hook {
		var err error
		if obj, err = st.respect(ctx, obj); err != nil {
			return err
		}
	}
	gk := obj.GroupVersionKind().GroupKind()
	// What the pass reads of a kind without status and without a custom
	// health check is the stored object's metadata; a dry run's answer is
	// not read at all.
	metadataOnly := dryRun || !task.Hook && health.FromMetadata(gk) && !st.settings.Health.Has(gk)
	var stored *unstructured.Unstructured
	var owned string
	write := func() (err error) {
		if metadataOnly {
			stored, owned, err = t.applier.ApplyMetadata(ctx, obj, opts)
			return err
		}
		if stored, err = t.applier.Apply(ctx, obj, opts); err == nil {
			owned = ownedFields(stored)
		}
		return err
	}
	err := write()
	if err != nil && !dryRun && apimeta.IsNoMatchError(err) && crdInSync(obj, st.desired) && st.awaitKind(ctx, obj) {
		// Its CRD, applied just before, is now served.
		err = write()
	}
	if err != nil && !dryRun && missingNamespace(err) && task.Options.CreateNamespace && obj.GetNamespace() == st.app.Spec.Destination.Namespace {
		if err = r.ensureNamespace(ctx, st, false, true); err == nil {
			err = write()
		}
	}
	if dryRun && err != nil && (st.namespaceCreatedBySync(obj.GetNamespace(), task.Options) && missingNamespace(err) ||
		dryRunSkips(obj, task.Options, err, st.desired)) {
		err = nil
	}
	var assessed *health.Status
	if !dryRun && err == nil && !task.Hook {
		var assessErr error
		assessed, assessErr = st.assess(stored)
		st.justApplied(sync.ResultFor(obj, task.Phase), assessed, assessErr)
	}
	r.afterWrite(st, task, stored, owned, assessed, err == nil && !dryRun)
	return err
}

func (c operationCluster) Delete(ctx context.Context, obj *unstructured.Unstructured, policy metav1.DeletionPropagation) error {
	err := c.st.target.applier.Delete(ctx, obj, policy)
	if err == nil {
		c.r.pruned.add(obj.GetUID(), c.r.Clock.Now())
	}
	return err
}

func (c operationCluster) Get(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	return c.st.target.applier.Get(ctx, obj)
}

func (c operationCluster) Health(live *unstructured.Unstructured) (*health.Status, error) {
	return c.st.assess(live)
}

func (c operationCluster) Applied(rr *v1alpha1.ResourceResult) *health.Status {
	return c.st.healthOf(rr)
}

func (c operationCluster) Persist(ctx context.Context, os *v1alpha1.OperationState) error {
	c.st.operation = os
	return c.r.persist(ctx, c.st)
}
