package settings

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/internal/diff"
)

func TestKnownTypeFieldsAreRead(t *testing.T) {
	podSpec := diff.KnownTypeField{Group: "argoproj.io", Kind: "Rollout", Field: "spec.template.spec", Type: "core/v1/PodSpec"}
	tests := []struct {
		name string
		cm   map[string]string
		want []diff.KnownTypeField
	}{
		{"split key", map[string]string{"resource.customizations.knownTypeFields.argoproj.io_Rollout": "- field: spec.template.spec\n  type: core/v1/PodSpec\n"}, []diff.KnownTypeField{podSpec}},
		{"block", map[string]string{"resource.customizations": "argoproj.io/Rollout:\n  knownTypeFields:\n  - {field: spec.template.spec, type: core/v1/PodSpec}\n"}, []diff.KnownTypeField{podSpec}},
		{"the split key wins over the block", map[string]string{
			"resource.customizations":                                     "argoproj.io/Rollout:\n  knownTypeFields:\n  - {field: spec.other, type: core/v1/PodSpec}\n",
			"resource.customizations.knownTypeFields.argoproj.io_Rollout": "- {field: spec.template.spec, type: core/v1/PodSpec}",
		}, []diff.KnownTypeField{podSpec}},
		{"a core kind", map[string]string{"resource.customizations.knownTypeFields.ConfigMap": "- {field: data.timeout, type: meta/v1/Duration}"}, []diff.KnownTypeField{{Kind: "ConfigMap", Field: "data.timeout", Type: "meta/v1/Duration"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(Data{ConfigMap: tt.cm})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, s.Compare.KnownTypes); diff != "" {
				t.Errorf("known type fields (-want +got):\n%s", diff)
			}
			if len(s.Unsupported) > 0 {
				t.Errorf("unsupported: %v", s.Unsupported)
			}
		})
	}
}

func TestKnownTypeFieldErrorsNameTheKey(t *testing.T) {
	for _, tt := range []struct {
		cm   map[string]string
		want string
	}{
		{map[string]string{"resource.customizations.knownTypeFields.argoproj.io_Rollout": "- {field: spec.template.spec, type: PodSpec}"}, `resource.customizations.knownTypeFields.argoproj.io_Rollout: [0] spec.template.spec: type "PodSpec"`},
		{map[string]string{"resource.customizations.knownTypeFields.argoproj.io_Rollout": "- {type: core/v1/PodSpec}"}, "field is not set"},
		{map[string]string{"resource.customizations.knownTypeFields.argoproj.io_Rollout": "field: spec"}, "resource.customizations.knownTypeFields.argoproj.io_Rollout"},
		{map[string]string{"resource.customizations": "argoproj.io/Rollout:\n  knownTypeFields: [{field: spec, typ: core/v1/PodSpec}]\n"}, "argoproj.io/Rollout: knownTypeFields"},
	} {
		_, err := Parse(Data{ConfigMap: tt.cm})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("error = %v, want one containing %q", err, tt.want)
		}
	}
}
