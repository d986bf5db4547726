package diff

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// rollout is a custom resource that embeds a Pod template and a list of
// containers; %s and %s are the CPU of the template's one container and of
// the list's.
const rollout = `{apiVersion: example.com/v1, kind: Rollout, metadata: {name: r},
spec: {template: {spec: {containers: [{name: a, image: a:1, resources: {limits: {cpu: %s, memory: %s}}}]}},
  sidecars: [{name: s, resources: {requests: {cpu: %s}}}]}}`

func TestKnownTypeFields(t *testing.T) {
	podSpec := KnownTypeField{Group: "example.com", Kind: "Rollout", Field: "spec.template.spec", Type: "core/v1/PodSpec"}
	sidecars := KnownTypeField{Group: "example.com", Kind: "Rollout", Field: "spec.sidecars", Type: "core/v1/Container"}
	tests := []struct {
		name          string
		known         []KnownTypeField
		desired, live string
		wantPaths     []string
	}{
		{"quantities differ as written", nil,
			fmt.Sprintf(rollout, "1000m", "1Gi", "500m"), fmt.Sprintf(rollout, "1", "1024Mi", "0.5"),
			[]string{".spec.sidecars[0].resources.requests.cpu", ".spec.template.spec.containers[0].resources.limits.cpu", ".spec.template.spec.containers[0].resources.limits.memory"}},
		{"a PodSpec field reads quantities as quantities", []KnownTypeField{podSpec},
			fmt.Sprintf(rollout, "1000m", "1Gi", "500m"), fmt.Sprintf(rollout, "1", "1024Mi", "500m"), nil},
		{"each item of a list field", []KnownTypeField{podSpec, sidecars},
			fmt.Sprintf(rollout, "1000m", "1Gi", "500m"), fmt.Sprintf(rollout, "1", "1Gi", "0.5"), nil},
		{"a real difference stays", []KnownTypeField{podSpec, sidecars},
			fmt.Sprintf(rollout, "1000m", "1Gi", "500m"), fmt.Sprintf(rollout, "2", "1Gi", "500m"),
			[]string{".spec.template.spec.containers[0].resources.limits.cpu"}},
		{"another kind is left alone", []KnownTypeField{{Group: "example.com", Kind: "Other", Field: "spec.template.spec", Type: "core/v1/PodSpec"}},
			fmt.Sprintf(rollout, "1000m", "1Gi", "500m"), fmt.Sprintf(rollout, "1", "1Gi", "500m"),
			[]string{".spec.template.spec.containers[0].resources.limits.cpu"}},
		{"a value that is not of the type is compared as written", []KnownTypeField{{Group: "example.com", Kind: "Rollout", Field: "spec.template", Type: "meta/v1/Duration"}},
			fmt.Sprintf(rollout, "1000m", "1Gi", "500m"), fmt.Sprintf(rollout, "1", "1Gi", "500m"),
			[]string{".spec.template.spec.containers[0].resources.limits.cpu"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			comparePaths(t, Options{KnownTypes: tt.known}, tt.desired, tt.live, tt.wantPaths)
		})
	}
}

func TestHasKnownTypes(t *testing.T) {
	o := Options{KnownTypes: []KnownTypeField{{Group: "example.com", Kind: "Rollout", Field: "spec.template.spec", Type: "core/v1/PodSpec"}}}
	for _, tt := range []struct {
		gk   schema.GroupKind
		want bool
	}{
		{schema.GroupKind{Group: "example.com", Kind: "Rollout"}, true},
		{schema.GroupKind{Group: "example.com", Kind: "Other"}, false},
		{schema.GroupKind{Group: "other.example.com", Kind: "Rollout"}, false},
	} {
		if got := o.hasKnownTypes(tt.gk); got != tt.want {
			t.Errorf("hasKnownTypes(%s) = %v, want %v", tt.gk, got, tt.want)
		}
	}
	if (Options{}).hasKnownTypes(schema.GroupKind{Group: "example.com", Kind: "Rollout"}) {
		t.Error("hasKnownTypes without knownTypeFields = true")
	}
}

func TestCheckKnownType(t *testing.T) {
	for _, name := range []string{"core/v1/PodSpec", "core/v1/Container", "apps/v1/DeploymentSpec", "batch/v1/JobSpec", "meta/v1/Duration", "meta/v1/LabelSelector", "networking.k8s.io/v1/IngressSpec", "networking/v1/IngressSpec", "rbac.authorization.k8s.io/v1/PolicyRule"} {
		if err := CheckKnownType(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, name := range []string{"PodSpec", "core/v1/NoSuchSpec", "v1/PodSpec", "example.com/v1/RolloutSpec"} {
		if err := CheckKnownType(name); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v, want one naming it", name, err)
		}
	}
}
