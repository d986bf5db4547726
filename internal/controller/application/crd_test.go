package application

import (
	"errors"
	"fmt"
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan-cd/capstan/internal/sync"
)

func TestDryRunSkips(t *testing.T) {
	gizmo := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "toys.example.com/v1", "kind": "Gizmo", "metadata": map[string]any{"name": "g"}}}
	crd := func(group, kind string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
			"spec": map[string]any{"group": group, "names": map[string]any{"kind": kind}}}}
	}
	noMatch := fmt.Errorf("apply Gizmo g: %w", &apimeta.NoKindMatchError{GroupKind: schema.GroupKind{Group: "toys.example.com", Kind: "Gizmo"}})
	skipOption := sync.DefaultOptions()
	skipOption.SkipDryRunOnMissingResource = true
	tests := []struct {
		name    string
		opts    sync.Options
		err     error
		desired []*unstructured.Unstructured
		want    bool
	}{
		{"its CRD is in the sync", sync.DefaultOptions(), noMatch, []*unstructured.Unstructured{crd("toys.example.com", "Gizmo"), gizmo}, true},
		{"SkipDryRunOnMissingResource=true", skipOption, noMatch, []*unstructured.Unstructured{gizmo}, true},
		{"neither", sync.DefaultOptions(), noMatch, []*unstructured.Unstructured{gizmo}, false},
		{"another kind's CRD", sync.DefaultOptions(), noMatch, []*unstructured.Unstructured{crd("toys.example.com", "Widget"), gizmo}, false},
		{"another group's CRD", sync.DefaultOptions(), noMatch, []*unstructured.Unstructured{crd("example.com", "Gizmo"), gizmo}, false},
		{"another error", skipOption, errors.New("admission webhook denied the request"), []*unstructured.Unstructured{gizmo}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dryRunSkips(gizmo, tt.opts, tt.err, tt.desired); got != tt.want {
				t.Errorf("dryRunSkips = %v, want %v", got, tt.want)
			}
		})
	}
}
