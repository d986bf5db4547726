// Package sync plans and runs a sync: which objects go in which phase and
// wave, in what order, which are hooks, and what is pruned (pure functions
// over the rendered and live objects), and the Engine that runs an
// operation as a resumable state machine over its recorded state, through
// a small Cluster interface.
package sync

import (
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Phase is a step of a sync. Objects that are not hooks belong to PhaseSync.
type Phase int

// Phases in the order a sync runs them; SyncFail runs only after a failure,
// PostDelete only when the Application is deleted.
const (
	PhasePreSync Phase = iota
	PhaseSync
	PhasePostSync
	PhaseSyncFail
	PhasePreDelete
	PhasePostDelete
)

var phaseNames = map[v1alpha1.HookType]Phase{
	v1alpha1.HookTypePreSync:    PhasePreSync,
	v1alpha1.HookTypeSync:       PhaseSync,
	v1alpha1.HookTypePostSync:   PhasePostSync,
	v1alpha1.HookTypeSyncFail:   PhaseSyncFail,
	v1alpha1.HookTypePreDelete:  PhasePreDelete,
	v1alpha1.HookTypePostDelete: PhasePostDelete,
}

// helmHookPhases maps Helm's hook names onto capstan's phases, the way Argo
// CD reads Helm charts. Helm hooks without an equivalent (rollback, test)
// are not run by a sync.
var helmHookPhases = map[string]Phase{
	"pre-install":  PhasePreSync,
	"pre-upgrade":  PhasePreSync,
	"post-install": PhasePostSync,
	"post-upgrade": PhasePostSync,
	"pre-delete":   PhasePreDelete,
	"post-delete":  PhasePostDelete,
}

// Hook describes how a sync treats one object.
type Hook struct {
	// IsHook is true for objects run as hooks rather than kept in sync.
	IsHook bool
	// Skip marks hooks that a sync never applies (hook Skip, Helm test or
	// rollback hooks).
	Skip bool
	// Phases the hook runs in; {PhaseSync} for ordinary objects. A hook
	// may name several phases (e.g. "PreSync,PostSync").
	Phases []Phase
}

// HookOf reads the hook annotations of obj. capstan's own annotation wins
// over Helm's; a Helm crd-install hook is an ordinary object.
func HookOf(obj *unstructured.Unstructured) Hook {
	if v, ok := annotation(obj, v1alpha1.AnnotationHook); ok {
		return parseHooks(v, func(name string) (Phase, bool, bool) {
			if v1alpha1.HookType(name) == v1alpha1.HookTypeSkip {
				return 0, true, true
			}
			p, ok := phaseNames[v1alpha1.HookType(name)]
			return p, false, ok
		})
	}
	if v, ok := annotation(obj, v1alpha1.AnnotationHelmHook); ok && strings.TrimSpace(v) != "crd-install" {
		return parseHooks(v, func(name string) (Phase, bool, bool) {
			p, ok := helmHookPhases[name]
			return p, !ok, true
		})
	}
	return Hook{Phases: []Phase{PhaseSync}}
}

// parseHooks reads a comma-separated hook list. classify returns the phase
// of one name, whether the name means "skip", and whether it is known.
func parseHooks(value string, classify func(string) (Phase, bool, bool)) Hook {
	h := Hook{IsHook: true}
	for _, name := range strings.Split(value, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if p, skip, known := classify(name); known && !skip && !slices.Contains(h.Phases, p) {
			h.Phases = append(h.Phases, p)
		}
	}
	// Only skipped or unknown names: the object is never applied.
	h.Skip = len(h.Phases) == 0
	return h
}

// WaveOf is the object's sync wave: argocd.argoproj.io/sync-wave, else
// Helm's hook weight for Helm hooks, else 0. A value that is not an
// integer counts as 0, as in Argo CD.
func WaveOf(obj *unstructured.Unstructured) int {
	if v, ok := annotation(obj, v1alpha1.AnnotationSyncWave); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			return n
		}
		return 0
	}
	if _, ok := annotation(obj, v1alpha1.AnnotationHelmHook); ok {
		weight, _ := annotation(obj, v1alpha1.AnnotationHelmHookWeight)
		if n, err := strconv.Atoi(strings.TrimSpace(weight)); err == nil {
			return n
		}
	}
	return 0
}

// helmDeletePolicies maps Helm's hook delete policies onto capstan's.
var helmDeletePolicies = map[string]v1alpha1.HookDeletePolicy{
	"before-hook-creation": v1alpha1.HookDeletePolicyBeforeHookCreation,
	"hook-succeeded":       v1alpha1.HookDeletePolicyHookSucceeded,
	"hook-failed":          v1alpha1.HookDeletePolicyHookFailed,
}

// DeletePoliciesOf reads when a hook is deleted: capstan's annotation
// argocd.argoproj.io/hook-delete-policy, else Helm's, else
// BeforeHookCreation (the previous run is deleted before the hook is
// created again). Unknown names are ignored.
func DeletePoliciesOf(obj *unstructured.Unstructured) []v1alpha1.HookDeletePolicy {
	ann := obj.GetAnnotations()
	var out []v1alpha1.HookDeletePolicy
	add := func(p v1alpha1.HookDeletePolicy) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if v, ok := ann[v1alpha1.AnnotationHookDeletePolicy]; ok {
		for _, name := range strings.Split(v, ",") {
			switch p := v1alpha1.HookDeletePolicy(strings.TrimSpace(name)); p {
			case v1alpha1.HookDeletePolicyHookSucceeded, v1alpha1.HookDeletePolicyHookFailed, v1alpha1.HookDeletePolicyBeforeHookCreation:
				add(p)
			}
		}
	} else if v, ok := ann[v1alpha1.AnnotationHelmHookDeletePolicy]; ok {
		for _, name := range strings.Split(v, ",") {
			if p, ok := helmDeletePolicies[strings.TrimSpace(name)]; ok {
				add(p)
			}
		}
	}
	if len(out) == 0 {
		out = []v1alpha1.HookDeletePolicy{v1alpha1.HookDeletePolicyBeforeHookCreation}
	}
	return out
}

// Runs reports whether the hook runs in phase p.
func (h Hook) Runs(p Phase) bool { return slices.Contains(h.Phases, p) }

// annotation is the annotation key of obj, read where obj holds it.
// GetAnnotations copies all of them into a new map at each call, and each
// pass of each Application asks each of its objects for several. It reads
// them as GetAnnotations does: a null value is present and empty, and if
// any value is neither a string nor null, the object has no annotations.
func annotation(obj *unstructured.Unstructured, key string) (string, bool) {
	held, _, _ := unstructured.NestedFieldNoCopy(obj.Object, "metadata", "annotations")
	annotations, _ := held.(map[string]any)
	for _, v := range annotations {
		if _, isString := v.(string); !isString && v != nil {
			return "", false
		}
	}
	v, ok := annotations[key]
	s, _ := v.(string)
	return s, ok
}
