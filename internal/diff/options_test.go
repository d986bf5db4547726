package diff

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

const (
	aggregatedRole = `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: view}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {agg: "true"}}]}, rules: []}`
	filledRole     = `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: view}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {agg: "true"}}]}, rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]}`
	plainRole      = `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: view}, rules: []}`
	plainFilled    = `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: view}, rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]}`
	widgetStatus   = `{apiVersion: example.com/v1, kind: Widget, metadata: {name: w, namespace: demo}, status: {phase: %s}}`
	crdStatus      = `{apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition, metadata: {name: widgets.example.com}, status: {phase: %s}}`
)

func TestCompareOptions(t *testing.T) {
	status := func(tmpl, phase string) string { return fmt.Sprintf(tmpl, phase) }
	tests := []struct {
		name          string
		opts          Options
		desired, live string
		wantPaths     []string
	}{
		{"aggregated role's rules compared by default", Options{}, aggregatedRole, filledRole, []string{".rules"}},
		{"aggregated role's rules ignored", Options{IgnoreAggregatedRoles: true}, aggregatedRole, filledRole, nil},
		{"a role without aggregation keeps its rules", Options{IgnoreAggregatedRoles: true}, plainRole, plainFilled, []string{".rules"}},
		{"status ignored by default", Options{}, status(widgetStatus, "a"), status(widgetStatus, "b"), nil},
		{"status ignored for all", Options{IgnoreStatus: StatusOfAll}, status(widgetStatus, "a"), status(widgetStatus, "b"), nil},
		{"status compared for none", Options{IgnoreStatus: StatusOfNone}, status(widgetStatus, "a"), status(widgetStatus, "b"), []string{".status.phase"}},
		{"custom resource's status compared under crd", Options{IgnoreStatus: StatusOfCRDs}, status(widgetStatus, "a"), status(widgetStatus, "b"), []string{".status.phase"}},
		{"CRD's status ignored under crd", Options{IgnoreStatus: StatusOfCRDs}, status(crdStatus, "a"), status(crdStatus, "b"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			comparePaths(t, tt.opts, tt.desired, tt.live, tt.wantPaths)
		})
	}
}

// comparePaths compares desired with live under opts and checks the paths
// that differ.
func comparePaths(t *testing.T, opts Options, desired, live string, wantPaths []string) {
	t.Helper()
	got, err := Compare(context.Background(), parse(t, desired), parse(t, live), (*Ignorer)(nil).WithOptions(opts))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantPaths, got.Paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if got.Modified != (len(wantPaths) > 0) {
		t.Errorf("Modified = %v with paths %v", got.Modified, got.Paths)
	}
}

func TestParseStatusField(t *testing.T) {
	for in, want := range map[string]StatusField{"": StatusOfAll, "all": StatusOfAll, "crd": StatusOfCRDs, "none": StatusOfNone, "off": StatusOfNone} {
		if got, err := ParseStatusField(in); err != nil || got != want {
			t.Errorf("ParseStatusField(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseStatusField("some"); err == nil {
		t.Error("ParseStatusField accepted some")
	}
}

// A comparison is value for value unless it reads a field of the kind as
// a known type or may leave a ClusterRole's aggregated rules out.
func TestValueForValue(t *testing.T) {
	clusterRole := schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}
	role := schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "Role"}
	rollout := schema.GroupKind{Group: "example.com", Kind: "Rollout"}
	known := []KnownTypeField{{Group: "example.com", Kind: "Rollout", Field: "spec.template.spec", Type: "core/v1/PodSpec"}}
	for _, tt := range []struct {
		name string
		opts Options
		gk   schema.GroupKind
		want bool
	}{
		{"defaults, ClusterRole", Options{}, clusterRole, true},
		{"aggregated roles ignored, ClusterRole", Options{IgnoreAggregatedRoles: true}, clusterRole, false},
		{"aggregated roles ignored, Role", Options{IgnoreAggregatedRoles: true}, role, true},
		{"known types, their kind", Options{KnownTypes: known}, rollout, false},
		{"known types, another kind", Options{KnownTypes: known}, role, true},
	} {
		if got := tt.opts.ValueForValue(tt.gk); got != tt.want {
			t.Errorf("%s: ValueForValue(%s) = %v, want %v", tt.name, tt.gk, got, tt.want)
		}
	}
}
