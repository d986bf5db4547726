package sync

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func steps(p Plan) []string {
	var out []string
	for _, s := range p.Steps {
		var names []string
		for _, t := range s.Tasks {
			names = append(names, fmt.Sprintf("%s %s/%s", t.Action, t.Object.GetKind(), t.Object.GetName()))
		}
		out = append(out, strings.Join(names, ", "))
	}
	return out
}

func TestNewPlanOrdersPhasesWavesAndPrunes(t *testing.T) {
	ann := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	desired := []*unstructured.Unstructured{
		object("Job", "app", "smoke", ann("argocd.argoproj.io/hook", "PostSync")),
		object("Deployment", "app", "web", nil),
		object("Job", "app", "migrate", ann("argocd.argoproj.io/hook", "PreSync")),
		object("Service", "app", "web", nil),
		object("ConfigMap", "app", "settings", ann("argocd.argoproj.io/sync-wave", "-1")),
		object("Namespace", "", "app", ann("argocd.argoproj.io/sync-wave", "-1")),
		object("Pod", "app", "debug", ann("argocd.argoproj.io/hook", "Skip")),
	}
	extraneous := []*unstructured.Unstructured{
		object("ConfigMap", "app", "old-config", nil),
		object("Deployment", "app", "old-web", nil),
		object("Deployment", "app", "old-worker", ann("argocd.argoproj.io/sync-wave", "2")),
		object("Service", "app", "old-svc", ann("argocd.argoproj.io/sync-options", "PruneLast=true")),
		object("Secret", "app", "keep", ann("argocd.argoproj.io/sync-options", "Prune=false")),
		object("ConfigMap", "app", "precious", ann("argocd.argoproj.io/sync-options", "Prune=confirm")),
	}
	p, err := NewPlan(PlanInput{Desired: desired, Extraneous: extraneous, Options: DefaultOptions(), Prune: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"apply Job/migrate",
		"apply Namespace/app, apply ConfigMap/settings",
		"apply Service/web, apply Deployment/web",
		"prune Deployment/old-worker",
		"prune Deployment/old-web, prune ConfigMap/old-config",
		"prune Service/old-svc",
		"apply Job/smoke",
	}
	if diff := cmp.Diff(want, steps(p)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	wantSkipped := []string{
		"Pod app/debug: hook marked Skip",
		"Secret app/keep: Prune=false",
		"ConfigMap app/precious: Prune=confirm awaits approval",
	}
	if diff := cmp.Diff(wantSkipped, p.Skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	if !p.NeedsPruneConfirmation {
		t.Error("a Prune=confirm object did not ask for confirmation")
	}

	approved, err := NewPlan(PlanInput{Desired: nil, Extraneous: extraneous[5:], Options: DefaultOptions(), Prune: true, PruneApproved: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"prune ConfigMap/precious"}, steps(approved)); diff != "" {
		t.Errorf("approved prune (-want +got):\n%s", diff)
	}
}

func TestNewPlanWithoutPruneLeavesExtraneous(t *testing.T) {
	p, err := NewPlan(PlanInput{Extraneous: []*unstructured.Unstructured{object("ConfigMap", "app", "old", nil)}, Options: DefaultOptions()})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 0 {
		t.Errorf("a sync without prune planned %v", steps(p))
	}
}

func TestNewPlanPruneLastOption(t *testing.T) {
	opts := DefaultOptions()
	opts.PruneLast = true
	p, err := NewPlan(PlanInput{
		Desired:    []*unstructured.Unstructured{object("Deployment", "app", "web", nil)},
		Extraneous: []*unstructured.Unstructured{object("ConfigMap", "app", "old", nil)},
		Options:    opts, Prune: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"apply Deployment/web", "prune ConfigMap/old"}, steps(p)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
}

func TestNewPlanRejectsBadAnnotation(t *testing.T) {
	_, err := NewPlan(PlanInput{
		Desired: []*unstructured.Unstructured{object("ConfigMap", "app", "c", map[string]string{"argocd.argoproj.io/sync-options": "Prune=maybe"})},
		Options: DefaultOptions(),
	})
	if err == nil || !strings.Contains(err.Error(), "ConfigMap app/c") {
		t.Errorf("err = %v; want one naming the object", err)
	}
}
