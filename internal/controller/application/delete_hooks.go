package application

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/apply"
	"github.com/capstan-cd/capstan/internal/sync"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// annotationDeleteRun, on a delete hook the controller created, is the uid
// of the Application whose deletion it runs for: a hook found with it is
// this deletion's, not to be created again; one without it is a
// previous run, replaced.
const annotationDeleteRun = "capstan.dev/delete-run"

// deleteHookFinalizers keeps the PreDelete and PostDelete finalizers on an
// Application while its desired state has hooks of that kind, as Argo CD
// does, so that deleting it runs them; and takes them off when it has
// none.
func (r *Reconciler) deleteHookFinalizers(ctx context.Context, st *state) error {
	app := st.app
	want := slices.DeleteFunc(slices.Clone(app.Finalizers), func(f string) bool {
		return f == v1alpha1.PreDeleteFinalizer || f == v1alpha1.PostDeleteFinalizer
	})
	if len(deleteHooks(st.desired, sync.PhasePreDelete)) > 0 {
		want = append(want, v1alpha1.PreDeleteFinalizer)
	}
	if len(deleteHooks(st.desired, sync.PhasePostDelete)) > 0 {
		want = append(want, v1alpha1.PostDeleteFinalizer)
	}
	if slices.Equal(sorted(want), sorted(app.Finalizers)) {
		return nil
	}
	before := app.DeepCopy()
	app.Finalizers = want
	if err := r.Client.Patch(ctx, app, client.MergeFrom(before)); err != nil {
		return fmt.Errorf("set the delete hook finalizers of Application %s: %w", app.Name, err)
	}
	// The status written at the end of the pass starts from this version.
	st.replaced = append(st.replaced, st.saved.ResourceVersion)
	app.ObjectMeta.DeepCopyInto(&st.saved.ObjectMeta)
	return nil
}

func sorted(list []string) []string {
	out := slices.Clone(list)
	slices.Sort(out)
	return out
}

// deleteHooks are the desired objects that are hooks of phase.
func deleteHooks(desired []*unstructured.Unstructured, phase sync.Phase) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, obj := range desired {
		if h := sync.HookOf(obj); h.IsHook && !h.Skip && slices.Contains(h.Phases, phase) {
			out = append(out, obj)
		}
	}
	return out
}

// runDeleteHooks runs the Application's hooks of phase (PreDelete or
// PostDelete), rendered from its sources as they are now: it creates
// those not created yet for this deletion (once sure that the Application
// it read is current, see confirmCurrent) and reads the others. When all
// have succeeded, those whose delete policy says HookSucceeded are deleted
// and it returns "". It returns what it waits for while one runs, and an
// error when one failed: the Application stays, and deleting the failed
// hook runs it again.
func (r *Reconciler) runDeleteHooks(ctx context.Context, app *v1alpha1.Application, t *target, phase sync.Phase) (string, error) {
	kind := v1alpha1.HookTypePreDelete
	if phase == sync.PhasePostDelete {
		kind = v1alpha1.HookTypePostDelete
	}
	st := &state{app: app.DeepCopy(), now: r.Clock.Now(), target: t}
	st.settings, st.assess = r.customized(ctx)
	for _, step := range []func(context.Context, *state) error{r.checkProject, r.renderFresh} {
		if err := step(ctx, st); err != nil {
			return "", fmt.Errorf("cannot run the %s hooks: %w; remove the finalizer %s to delete the Application without them", kind, err, finalizerOf(phase))
		}
	}
	var finished []*unstructured.Unstructured
	waiting, confirmed := "", false
	for _, hook := range deleteHooks(st.desired, phase) {
		obj := deleteRun(hook, app, r.trackingPolicy(r.current()))
		live, err := t.applier.Get(ctx, obj)
		if err != nil {
			return "", fmt.Errorf("%s hook %s: %w", kind, tracking.Describe(obj), err)
		}
		switch {
		case live == nil:
			waiting = fmt.Sprintf("waiting for %s hook %s to finish", kind, tracking.Describe(obj))
			if !confirmed {
				if err := r.confirmCurrent(ctx, app, waiting); err != nil {
					return "", err
				}
				confirmed = true
			}
			if _, err := t.applier.Apply(ctx, obj, apply.Options{Validate: true}); err != nil {
				return "", fmt.Errorf("create %s hook %s: %w; remove the finalizer %s to delete the Application without it", kind, tracking.Describe(obj), err, finalizerOf(phase))
			}
			continue
		case live.GetAnnotations()[annotationDeleteRun] != string(app.UID):
			// Left by an earlier Application of the same name.
			if live.GetDeletionTimestamp() == nil {
				if err := t.applier.Delete(ctx, live, metav1.DeletePropagationForeground); err != nil {
					return "", err
				}
			}
			waiting = fmt.Sprintf("waiting for the previous run of %s hook %s to be deleted", kind, tracking.Describe(obj))
			continue
		}
		h, err := st.assess(live)
		if err != nil {
			return "", err
		}
		switch {
		case h == nil || h.Code == v1alpha1.HealthStatusHealthy:
			finished = append(finished, live)
		case h.Code == v1alpha1.HealthStatusDegraded:
			return "", fmt.Errorf("%s hook %s failed: %s; delete it to run it again, or remove the finalizer %s to delete the Application without it",
				kind, tracking.Describe(live), h.Message, finalizerOf(phase))
		default:
			waiting = fmt.Sprintf("waiting for %s hook %s to finish (%s: %s)", kind, tracking.Describe(live), h.Code, h.Message)
		}
	}
	if waiting != "" {
		return waiting, nil
	}
	for _, live := range finished {
		if slices.Contains(sync.DeletePoliciesOf(live), v1alpha1.HookDeletePolicyHookSucceeded) {
			if err := t.applier.Delete(ctx, live, metav1.DeletePropagationBackground); err != nil {
				return "", err
			}
		}
	}
	return "", nil
}

func finalizerOf(phase sync.Phase) string {
	if phase == sync.PhasePostDelete {
		return v1alpha1.PostDeleteFinalizer
	}
	return v1alpha1.PreDeleteFinalizer
}

// deleteRun is the hook as this deletion of app creates it: named (a
// generateName becomes a name of its own, the same at every pass, so one
// deletion creates it once), marked as this deletion's and tracked.
func deleteRun(hook *unstructured.Unstructured, app *v1alpha1.Application, policy tracking.Policy) *unstructured.Unstructured {
	obj := hook.DeepCopy()
	if obj.GetName() == "" && obj.GetGenerateName() != "" {
		sum := sha256.Sum256([]byte(string(app.UID) + "|" + obj.GetKind() + "|" + obj.GetNamespace() + "|" + obj.GetGenerateName()))
		obj.SetName(obj.GetGenerateName() + hex.EncodeToString(sum[:])[:5])
		obj.SetGenerateName("")
	}
	ann := obj.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[annotationDeleteRun] = string(app.UID)
	obj.SetAnnotations(ann)
	tracking.Mark(obj, app.Name, policy)
	return obj
}
