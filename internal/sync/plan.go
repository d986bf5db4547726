package sync

import (
	"cmp"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/internal/tracking"
)

// Action is what a task does to its object.
type Action string

// Actions of a task.
const (
	ActionApply Action = "apply"
	ActionPrune Action = "prune"
)

// Task is one object's part in a sync.
type Task struct {
	Action Action
	// Object is the desired object for apply, the live one for prune.
	Object *unstructured.Unstructured
	Phase  Phase
	Wave   int
	Hook   bool
	// Options are the sync options for this object.
	Options Options
}

// Step is a set of tasks that run together; the next step starts when
// every task of this one is done and its objects are healthy.
type Step struct {
	Phase Phase
	Wave  int
	Tasks []Task
}

// Plan is a sync, step by step, with what it leaves out.
type Plan struct {
	Steps []Step
	// Skipped lists objects a sync does not touch, with the reason (hooks
	// marked Skip, prunes refused by Prune=false or awaiting confirmation).
	Skipped []string
	// NeedsPruneConfirmation is true when an object with Prune=confirm
	// would be pruned and the Application does not carry the approval;
	// AwaitingConfirmation names those objects.
	NeedsPruneConfirmation bool
	AwaitingConfirmation   []string
}

// PlanInput is what a plan is made from.
type PlanInput struct {
	// Desired are the rendered objects, hooks included.
	Desired []*unstructured.Unstructured
	// Extraneous are live objects the Application tracks that the render
	// no longer has.
	Extraneous []*unstructured.Unstructured
	// Options are the Application's (or the operation's) sync options.
	Options Options
	// Prune says whether this sync prunes (automated.prune, or a manual
	// sync with prune).
	Prune bool
	// PruneApproved is true when the Application carries the deletion
	// approval that Prune=confirm waits for.
	PruneApproved bool
}

// NewPlan orders a sync: PreSync hooks, then the Sync phase wave by wave
// (lowest first, kinds in apply order inside a wave), then prunes in reverse
// wave order, then PruneLast prunes, then PostSync hooks. An object whose
// sync-options annotation is malformed fails the whole plan.
func NewPlan(in PlanInput) (Plan, error) {
	var p Plan
	var tasks []Task
	for _, obj := range in.Desired {
		opts, err := in.Options.For(obj)
		if err != nil {
			return Plan{}, err
		}
		h := HookOf(obj)
		if h.Skip {
			p.Skipped = append(p.Skipped, fmt.Sprintf("%s: hook marked Skip", tracking.Describe(obj)))
			continue
		}
		for _, phase := range h.Phases {
			if phase > PhasePostSync {
				continue // SyncFail and delete hooks run only on those events
			}
			tasks = append(tasks, Task{Action: ActionApply, Object: obj, Phase: phase, Wave: WaveOf(obj), Hook: h.IsHook, Options: opts})
		}
	}
	var prunes, pruneLast []Task
	if in.Prune {
		for _, obj := range in.Extraneous {
			opts, err := in.Options.For(obj)
			if err != nil {
				return Plan{}, err
			}
			switch {
			case opts.Prune == ModeNever:
				p.Skipped = append(p.Skipped, fmt.Sprintf("%s: Prune=false", tracking.Describe(obj)))
				continue
			case opts.Prune == ModeConfirm && !in.PruneApproved:
				p.Skipped = append(p.Skipped, fmt.Sprintf("%s: Prune=confirm awaits approval", tracking.Describe(obj)))
				p.NeedsPruneConfirmation = true
				p.AwaitingConfirmation = append(p.AwaitingConfirmation, tracking.Describe(obj))
				continue
			}
			t := Task{Action: ActionPrune, Object: obj, Phase: PhaseSync, Wave: WaveOf(obj), Options: opts}
			if opts.PruneLast {
				pruneLast = append(pruneLast, t)
			} else {
				prunes = append(prunes, t)
			}
		}
	}
	applies := groupBy(tasks, func(a, b Task) int {
		return cmp.Or(cmp.Compare(a.Phase, b.Phase), cmp.Compare(a.Wave, b.Wave))
	})
	for _, s := range applies {
		if s.Phase == PhasePostSync {
			break
		}
		p.Steps = append(p.Steps, s)
	}
	// Prunes undo the waves: the highest wave goes first, and inside a
	// wave the reverse of the apply order (workloads before their config).
	for _, s := range groupBy(prunes, func(a, b Task) int { return cmp.Compare(b.Wave, a.Wave) }) {
		slices.Reverse(s.Tasks)
		p.Steps = append(p.Steps, s)
	}
	if len(pruneLast) > 0 {
		sortTasks(pruneLast)
		slices.Reverse(pruneLast)
		p.Steps = append(p.Steps, Step{Phase: PhaseSync, Wave: pruneLast[0].Wave, Tasks: pruneLast})
	}
	for _, s := range applies {
		if s.Phase == PhasePostSync {
			p.Steps = append(p.Steps, s)
		}
	}
	return p, nil
}

// groupBy sorts tasks by key, then by object order, and cuts them into
// steps of equal key.
func groupBy(tasks []Task, key func(a, b Task) int) []Step {
	slices.SortStableFunc(tasks, func(a, b Task) int {
		return cmp.Or(key(a, b), Compare(a.Object, b.Object))
	})
	var steps []Step
	for i, t := range tasks {
		if i == 0 || key(tasks[i-1], t) != 0 {
			steps = append(steps, Step{Phase: t.Phase, Wave: t.Wave})
		}
		steps[len(steps)-1].Tasks = append(steps[len(steps)-1].Tasks, t)
	}
	return steps
}

func sortTasks(tasks []Task) {
	slices.SortStableFunc(tasks, func(a, b Task) int { return Compare(a.Object, b.Object) })
}
