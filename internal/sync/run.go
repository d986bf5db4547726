package sync

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// AnnotationHookRun, on a hook an operation created, names the run of the
// operation and the phase that created it (see RunID). A pass that finds
// a hook of its own run already there adopts it rather than create it
// again: the write that recorded its creation was lost, or the controller
// stopped before making it.
const AnnotationHookRun = "capstan.dev/hook-run"

// RunID names one run of an operation: its start and its attempt.
func RunID(os *v1alpha1.OperationState) string {
	if os == nil {
		return ""
	}
	return os.StartedAt.UTC().Format(time.RFC3339) + "#" + strconv.FormatInt(os.RetryCount, 10)
}

// maxHookName keeps a generated hook name within what a Job accepts (its
// name becomes a label value of its Pods).
const maxHookName = 63

// HookInstance is the object a hook task creates in the run: a copy of the
// task's object marked with the run and phase, named from its
// metadata.generateName when it has no name. The name is derived from the
// run, so every pass of the run (and a restarted controller) finds the
// same hook, and the next run creates a new one. Other tasks' objects are
// returned as they are.
func HookInstance(task Task, run string) *unstructured.Unstructured {
	if !task.Hook || task.Action == ActionPrune {
		return task.Object
	}
	out := task.Object.DeepCopy()
	mark := run + "/" + string(SyncPhaseOf(task.Phase))
	if out.GetName() == "" && out.GetGenerateName() != "" {
		sum := sha256.Sum256([]byte(mark))
		suffix := hex.EncodeToString(sum[:])[:10]
		prefix := out.GetGenerateName()
		if len(prefix) > maxHookName-len(suffix) {
			prefix = prefix[:maxHookName-len(suffix)]
		}
		out.SetName(prefix + suffix)
		out.SetGenerateName("")
	}
	ann := out.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[AnnotationHookRun] = mark
	out.SetAnnotations(ann)
	return out
}

// ranHere reports whether live is the hook instance obj: created by the
// same run and phase.
func ranHere(live, obj *unstructured.Unstructured) bool {
	id := obj.GetAnnotations()[AnnotationHookRun]
	return live != nil && id != "" && live.GetAnnotations()[AnnotationHookRun] == id
}

// SyncPhaseOf is the status name of a phase.
func SyncPhaseOf(p Phase) v1alpha1.SyncPhase {
	switch p {
	case PhasePreSync:
		return v1alpha1.SyncPhasePreSync
	case PhasePostSync:
		return v1alpha1.SyncPhasePostSync
	case PhaseSyncFail:
		return v1alpha1.SyncPhaseSyncFail
	}
	return v1alpha1.SyncPhaseSync
}

// ResultFor is the result of obj's task in phase, before it runs.
func ResultFor(obj *unstructured.Unstructured, phase Phase) v1alpha1.ResourceResult {
	gvk := obj.GroupVersionKind()
	return v1alpha1.ResourceResult{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind,
		Namespace: obj.GetNamespace(), Name: obj.GetName(), SyncPhase: SyncPhaseOf(phase)}
}

// ResultObject names a result's object, enough to read or delete it.
func ResultObject(rr *v1alpha1.ResourceResult) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.GroupVersionKind{Group: rr.Group, Version: rr.Version, Kind: rr.Kind})
	u.SetNamespace(rr.Namespace)
	u.SetName(rr.Name)
	return u
}

// DescribeResult names a result's object for a message.
func DescribeResult(rr *v1alpha1.ResourceResult) string {
	return tracking.Describe(ResultObject(rr))
}

// ResultKey and TaskKey match a task with its recorded result.
func ResultKey(rr v1alpha1.ResourceResult) string {
	return string(rr.SyncPhase) + "|" + rr.Group + "/" + rr.Kind + "|" + rr.Namespace + "/" + rr.Name
}

// TaskKey is the key of a task's result (see ResultKey); a hook's task
// must carry its instance (HookInstance).
func TaskKey(task Task) string {
	return ResultKey(ResultFor(task.Object, task.Phase))
}
