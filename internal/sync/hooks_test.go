package sync

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func object(kind, ns, name string, annotations map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	u.SetAnnotations(annotations)
	return u
}

func TestHookOf(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
		want        Hook
	}{
		{"ordinary object", nil, Hook{Phases: []Phase{PhaseSync}}},
		{"PreSync hook", map[string]string{"argocd.argoproj.io/hook": "PreSync"}, Hook{IsHook: true, Phases: []Phase{PhasePreSync}}},
		{"several phases", map[string]string{"argocd.argoproj.io/hook": "PreSync, PostSync"}, Hook{IsHook: true, Phases: []Phase{PhasePreSync, PhasePostSync}}},
		{"Skip", map[string]string{"argocd.argoproj.io/hook": "Skip"}, Hook{IsHook: true, Skip: true}},
		{"unknown name only", map[string]string{"argocd.argoproj.io/hook": "Whenever"}, Hook{IsHook: true, Skip: true}},
		{"Helm pre-install and pre-upgrade", map[string]string{"helm.sh/hook": "pre-install,pre-upgrade"}, Hook{IsHook: true, Phases: []Phase{PhasePreSync}}},
		{"Helm post-install", map[string]string{"helm.sh/hook": "post-install"}, Hook{IsHook: true, Phases: []Phase{PhasePostSync}}},
		{"Helm test is never synced", map[string]string{"helm.sh/hook": "test"}, Hook{IsHook: true, Skip: true}},
		{"Helm crd-install is an ordinary object", map[string]string{"helm.sh/hook": "crd-install"}, Hook{Phases: []Phase{PhaseSync}}},
		{"capstan's annotation wins over Helm's", map[string]string{"helm.sh/hook": "pre-install", "argocd.argoproj.io/hook": "PostSync"}, Hook{IsHook: true, Phases: []Phase{PhasePostSync}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := HookOf(object("Job", "ns", "j", tt.annotations))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("HookOf (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWaveOf(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
		want        int
	}{
		{"none", nil, 0},
		{"sync-wave", map[string]string{"argocd.argoproj.io/sync-wave": "-2"}, -2},
		{"not a number", map[string]string{"argocd.argoproj.io/sync-wave": "soon"}, 0},
		{"Helm hook weight", map[string]string{"helm.sh/hook": "pre-install", "helm.sh/hook-weight": "5"}, 5},
		{"hook weight without a hook is ignored", map[string]string{"helm.sh/hook-weight": "5"}, 0},
		{"sync-wave wins over hook weight", map[string]string{"helm.sh/hook": "pre-install", "helm.sh/hook-weight": "5", "argocd.argoproj.io/sync-wave": "1"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WaveOf(object("Job", "ns", "j", tt.annotations)); got != tt.want {
				t.Errorf("WaveOf = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestDeletePoliciesOf(t *testing.T) {
	const (
		before    = v1alpha1.HookDeletePolicyBeforeHookCreation
		succeeded = v1alpha1.HookDeletePolicyHookSucceeded
		failed    = v1alpha1.HookDeletePolicyHookFailed
	)
	tests := []struct {
		name        string
		annotations map[string]string
		want        []v1alpha1.HookDeletePolicy
	}{
		{"none means BeforeHookCreation", nil, []v1alpha1.HookDeletePolicy{before}},
		{"one", map[string]string{"argocd.argoproj.io/hook-delete-policy": "HookSucceeded"}, []v1alpha1.HookDeletePolicy{succeeded}},
		{"several, repeated", map[string]string{"argocd.argoproj.io/hook-delete-policy": "HookFailed, HookSucceeded,HookFailed"}, []v1alpha1.HookDeletePolicy{failed, succeeded}},
		{"unknown only falls back", map[string]string{"argocd.argoproj.io/hook-delete-policy": "Never"}, []v1alpha1.HookDeletePolicy{before}},
		{"Helm's names", map[string]string{"helm.sh/hook-delete-policy": "hook-succeeded,before-hook-creation"}, []v1alpha1.HookDeletePolicy{succeeded, before}},
		{"capstan's annotation wins", map[string]string{"helm.sh/hook-delete-policy": "hook-failed", "argocd.argoproj.io/hook-delete-policy": "HookSucceeded"}, []v1alpha1.HookDeletePolicy{succeeded}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DeletePoliciesOf(object("Job", "ns", "j", tt.annotations))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DeletePoliciesOf (-want +got):\n%s", diff)
			}
		})
	}
}

// Annotations are read where the object holds them, as GetAnnotations
// reads them, without copying them: a wave costs no allocation.
func TestAnnotationReadsInPlace(t *testing.T) {
	annotated := func(annotations map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"annotations": annotations}}}
	}
	obj := annotated(map[string]any{"argocd.argoproj.io/sync-wave": "3", "empty": nil})
	for _, tc := range []struct {
		obj       *unstructured.Unstructured
		key, want string
		ok        bool
	}{
		{obj, "argocd.argoproj.io/sync-wave", "3", true},
		{obj, "empty", "", true},
		{obj, "missing", "", false},
		{&unstructured.Unstructured{Object: map[string]any{}}, "missing", "", false},
		// One value that is not a string, and the object has none.
		{annotated(map[string]any{"argocd.argoproj.io/sync-wave": "3", "number": int64(1)}), "argocd.argoproj.io/sync-wave", "", false},
	} {
		got, ok := annotation(tc.obj, tc.key)
		if got != tc.want || ok != tc.ok {
			t.Errorf("annotation(%v, %q) = %q, %v; want %q, %v", tc.obj.Object, tc.key, got, ok, tc.want, tc.ok)
		}
		wantMap, wantOK := tc.obj.GetAnnotations()[tc.key]
		if got != wantMap || ok != wantOK {
			t.Errorf("annotation(%v, %q) = %q, %v; GetAnnotations reads %q, %v", tc.obj.Object, tc.key, got, ok, wantMap, wantOK)
		}
	}
	if n := testing.AllocsPerRun(100, func() { WaveOf(obj) }); n != 0 {
		t.Errorf("WaveOf allocated %.0f times", n)
	}
}
