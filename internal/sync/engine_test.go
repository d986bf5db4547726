package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/health"
)

// fakeCluster keeps live objects by kind and name and logs every call the
// engine makes of it.
type fakeCluster struct {
	live        map[string]*unstructured.Unstructured
	health      map[string]v1alpha1.HealthStatusCode // by name; none means no health
	failApply   map[string]bool
	slowDelete  map[string]bool // deleted objects stay, marked deleting
	failPersist bool
	log         []string
}

func key(obj *unstructured.Unstructured) string { return obj.GetKind() + "/" + obj.GetName() }

func (f *fakeCluster) Apply(_ context.Context, _ Task, obj *unstructured.Unstructured, dryRun bool) error {
	f.log = append(f.log, "apply "+key(obj))
	if f.failApply[obj.GetName()] {
		return fmt.Errorf("%s refused", key(obj))
	}
	if !dryRun {
		f.live[key(obj)] = obj.DeepCopy()
	}
	return nil
}

func (f *fakeCluster) Delete(_ context.Context, obj *unstructured.Unstructured, _ metav1.DeletionPropagation) error {
	f.log = append(f.log, "delete "+key(obj))
	if live := f.live[key(obj)]; live != nil && f.slowDelete[obj.GetName()] {
		now := metav1.Now()
		live.SetDeletionTimestamp(&now)
		return nil
	}
	delete(f.live, key(obj))
	return nil
}

func (f *fakeCluster) Get(_ context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	if live := f.live[key(obj)]; live != nil {
		return live.DeepCopy(), nil
	}
	return nil, nil
}

func (f *fakeCluster) Health(live *unstructured.Unstructured) (*health.Status, error) {
	return f.status(live.GetName()), nil
}

func (f *fakeCluster) Applied(rr *v1alpha1.ResourceResult) *health.Status { return f.status(rr.Name) }

func (f *fakeCluster) status(name string) *health.Status {
	if code, ok := f.health[name]; ok {
		return &health.Status{Code: code, Message: "fake"}
	}
	return nil
}

func (f *fakeCluster) Persist(context.Context, *v1alpha1.OperationState) error {
	f.log = append(f.log, "persist")
	if f.failPersist {
		return errors.New("conflict")
	}
	return nil
}

// pass is one call of the engine: what changes before it, and what it
// does.
type pass struct {
	before       func(*fakeCluster, *v1alpha1.OperationState)
	log          []string
	phase        v1alpha1.OperationPhase
	message      string // a part of the operation's message
	notPersisted bool
}

var started = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// generated is the name the engine gives a generateName hook in the run
// started at started.
func generated(prefix string, phase Phase) string {
	obj := object("Job", "app", "", map[string]string{"argocd.argoproj.io/hook": "x"})
	obj.SetGenerateName(prefix)
	os := &v1alpha1.OperationState{StartedAt: metav1.NewTime(started)}
	return HookInstance(Task{Object: obj, Hook: true, Phase: phase}, RunID(os)).GetName()
}

func TestEngineAdvance(t *testing.T) {
	hook := func(kind, name, phase string, more ...string) *unstructured.Unstructured {
		ann := map[string]string{"argocd.argoproj.io/hook": phase}
		for i := 0; i+1 < len(more); i += 2 {
			ann[more[i]] = more[i+1]
		}
		return object(kind, "app", name, ann)
	}
	genJob := hook("Job", "", "PreSync")
	genJob.SetGenerateName("mig-")
	gen := generated("mig-", PhasePreSync)
	setHealth := func(name string, code v1alpha1.HealthStatusCode) func(*fakeCluster, *v1alpha1.OperationState) {
		return func(f *fakeCluster, _ *v1alpha1.OperationState) { f.health[name] = code }
	}
	tests := []struct {
		name    string
		desired []*unstructured.Unstructured
		setup   func(*fakeCluster)
		passes  []pass
		results []string
	}{{
		name: "hooks and waves run one step at a time and wait for health",
		desired: []*unstructured.Unstructured{
			hook("Job", "pre", "PreSync", "argocd.argoproj.io/hook-delete-policy", "HookSucceeded"),
			object("Deployment", "app", "web", nil),
			object("ConfigMap", "app", "after", map[string]string{"argocd.argoproj.io/sync-wave": "1"}),
			hook("ConfigMap", "notify", "PostSync"),
		},
		setup: func(f *fakeCluster) { f.health["pre"] = v1alpha1.HealthStatusProgressing },
		passes: []pass{
			{log: []string{"persist", "apply Job/pre"}, phase: v1alpha1.OperationRunning, message: "waiting for Job app/pre"},
			{before: func(f *fakeCluster, _ *v1alpha1.OperationState) {
				f.health["pre"], f.health["web"] = v1alpha1.HealthStatusHealthy, v1alpha1.HealthStatusProgressing
			}, log: []string{"persist", "delete Job/pre", "apply Deployment/web"}, phase: v1alpha1.OperationRunning, message: "Deployment app/web"},
			{before: setHealth("web", v1alpha1.HealthStatusHealthy),
				log: []string{"apply ConfigMap/after", "persist", "apply ConfigMap/notify"}, phase: v1alpha1.OperationSucceeded},
		},
		results: []string{"PreSync Job/pre Synced Succeeded", "Sync Deployment/web Synced ", "Sync ConfigMap/after Synced ", "PostSync ConfigMap/notify Synced Succeeded"},
	}, {
		name:    "a generateName hook is named from the run, and a resume adopts it",
		desired: []*unstructured.Unstructured{genJob},
		setup:   func(f *fakeCluster) { f.health[gen] = v1alpha1.HealthStatusProgressing },
		passes: []pass{
			{log: []string{"persist", "apply Job/" + gen}, phase: v1alpha1.OperationRunning, message: "waiting for hook Job app/" + gen},
			// The record of its creation was lost: the hook is found, not
			// created again.
			{before: func(_ *fakeCluster, os *v1alpha1.OperationState) { os.SyncResult.Resources = nil },
				log: []string{"persist"}, phase: v1alpha1.OperationRunning},
			{before: setHealth(gen, v1alpha1.HealthStatusHealthy), phase: v1alpha1.OperationSucceeded},
		},
		results: []string{"PreSync Job/" + gen + " Synced Succeeded"},
	}, {
		name: "a failed sync runs the SyncFail hooks and fails",
		desired: []*unstructured.Unstructured{
			object("ConfigMap", "app", "bad", nil),
			hook("Pod", "onfail", "SyncFail"),
		},
		setup: func(f *fakeCluster) { f.failApply["bad"] = true },
		passes: []pass{
			{log: []string{"apply ConfigMap/bad", "persist", "apply Pod/onfail"}, phase: v1alpha1.OperationFailed, message: "ConfigMap/bad refused"},
		},
		results: []string{"Sync ConfigMap/bad SyncFailed ", "SyncFail Pod/onfail Synced Running"},
	}, {
		name:    "a Skip hook is never applied",
		desired: []*unstructured.Unstructured{hook("Pod", "debug", "Skip"), object("ConfigMap", "app", "a", nil)},
		passes:  []pass{{log: []string{"apply ConfigMap/a"}, phase: v1alpha1.OperationSucceeded}},
		results: []string{"Sync ConfigMap/a Synced "},
	}, {
		name:    "terminating deletes the running hooks",
		desired: []*unstructured.Unstructured{hook("Job", "long", "Sync")},
		setup:   func(f *fakeCluster) { f.health["long"] = v1alpha1.HealthStatusProgressing },
		passes: []pass{
			{log: []string{"persist", "apply Job/long"}, phase: v1alpha1.OperationRunning},
			{before: func(_ *fakeCluster, os *v1alpha1.OperationState) { os.Phase = v1alpha1.OperationTerminating },
				log: []string{"delete Job/long"}, phase: v1alpha1.OperationFailed, message: "Operation terminated"},
		},
		results: []string{"Sync Job/long Synced Failed"},
	}, {
		name:    "BeforeHookCreation waits, without blocking, for the previous run to go",
		desired: []*unstructured.Unstructured{hook("Job", "pre", "PreSync")},
		setup: func(f *fakeCluster) {
			f.live["Job/pre"] = hook("Job", "pre", "PreSync", AnnotationHookRun, "an earlier run")
			f.slowDelete["pre"] = true
		},
		passes: []pass{
			{log: []string{"persist", "delete Job/pre"}, phase: v1alpha1.OperationRunning, message: "previous run of hook Job app/pre"},
			{before: func(f *fakeCluster, _ *v1alpha1.OperationState) { delete(f.live, "Job/pre") },
				log: []string{"persist", "apply Job/pre"}, phase: v1alpha1.OperationSucceeded},
		},
		results: []string{"PreSync Job/pre Synced Succeeded"},
	}, {
		name:    "HookFailed deletes a failed hook, and the sync fails",
		desired: []*unstructured.Unstructured{hook("Job", "check", "PreSync", "argocd.argoproj.io/hook-delete-policy", "HookFailed"), object("ConfigMap", "app", "a", nil)},
		setup:   func(f *fakeCluster) { f.health["check"] = v1alpha1.HealthStatusProgressing },
		passes: []pass{
			{log: []string{"persist", "apply Job/check"}, phase: v1alpha1.OperationRunning},
			{before: setHealth("check", v1alpha1.HealthStatusDegraded),
				log: []string{"persist", "delete Job/check"}, phase: v1alpha1.OperationFailed, message: "hook Job app/check failed"},
		},
		results: []string{"PreSync Job/check Synced Failed"},
	}, {
		name:    "a hook is not created when its checkpoint cannot be written",
		desired: []*unstructured.Unstructured{hook("Job", "pre", "PreSync")},
		setup:   func(f *fakeCluster) { f.failPersist = true },
		passes:  []pass{{log: []string{"persist"}, phase: v1alpha1.OperationRunning, notPersisted: true}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeCluster{live: map[string]*unstructured.Unstructured{}, health: map[string]v1alpha1.HealthStatusCode{},
				failApply: map[string]bool{}, slowDelete: map[string]bool{}}
			if tt.setup != nil {
				tt.setup(f)
			}
			clock := clocktesting.NewFakePassiveClock(started.Add(time.Minute))
			e := &Engine{Cluster: f, Clock: clock}
			os := &v1alpha1.OperationState{Operation: v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}},
				Phase: v1alpha1.OperationRunning, StartedAt: metav1.NewTime(started)}
			for i, p := range tt.passes {
				f.log = nil
				if p.before != nil {
					p.before(f, os)
				}
				plan, err := NewPlan(PlanInput{Desired: tt.desired, Options: DefaultOptions()})
				if err != nil {
					t.Fatal(err)
				}
				err = e.Advance(context.Background(), os, plan, SyncFailHooks(tt.desired))
				if got := errors.Is(err, ErrNotPersisted); got != p.notPersisted || (err != nil && !got) {
					t.Fatalf("pass %d: error %v, want a failed checkpoint: %v", i+1, err, p.notPersisted)
				}
				if diff := cmp.Diff(p.log, f.log); diff != "" {
					t.Errorf("pass %d: calls (-want +got):\n%s", i+1, diff)
				}
				if os.Phase != p.phase || !strings.Contains(os.Message, p.message) {
					t.Errorf("pass %d: operation %s %q, want %s %q", i+1, os.Phase, os.Message, p.phase, p.message)
				}
				if os.Phase.Completed() && !os.FinishedAt.Time.Equal(clock.Now().Truncate(time.Second)) {
					t.Errorf("pass %d: finished at %v, want the clock's %v", i+1, os.FinishedAt, clock.Now())
				}
			}
			var results []string
			for _, rr := range os.SyncResult.Resources {
				results = append(results, fmt.Sprintf("%s %s/%s %s %s", rr.SyncPhase, rr.Kind, rr.Name, rr.Status, rr.HookPhase))
			}
			if diff := cmp.Diff(tt.results, results); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
		})
	}
}
