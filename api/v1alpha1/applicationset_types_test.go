package v1alpha1

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestDecodeApplicationSet(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		check func(t *testing.T, set *ApplicationSet)
	}{
		{
			name: "matrix of git directories and clusters with rolling sync",
			file: "applicationset-cluster-addons.yaml",
			check: func(t *testing.T, set *ApplicationSet) {
				matrix := set.Spec.Generators[0].Matrix
				if len(matrix.Generators) != 2 || matrix.Generators[0].Git == nil || matrix.Generators[1].Clusters == nil {
					t.Fatalf("matrix generators = %+v, want git then clusters", matrix.Generators)
				}
				steps := set.Spec.Strategy.RollingSync.Steps
				wantMaxUpdate := []*intstr.IntOrString{nil, new(intstr.FromString("25%")), new(intstr.FromInt32(1))}
				for i, step := range steps {
					if diff := cmp.Diff(wantMaxUpdate[i], step.MaxUpdate); diff != "" {
						t.Errorf("steps[%d].maxUpdate (-want +got):\n%s", i, diff)
					}
				}
				if got := *set.Spec.SyncPolicy.ApplicationsSync; got != ApplicationsSyncPolicyCreateUpdate {
					t.Errorf("applicationsSync = %q, want %q", got, ApplicationsSyncPolicyCreateUpdate)
				}
				if set.Spec.TemplatePatch == nil {
					t.Error("templatePatch is nil")
				}
			},
		},
		{
			name: "every other generator",
			file: "applicationset-generators.yaml",
			check: func(t *testing.T, set *ApplicationSet) {
				var element map[string]any
				if err := json.Unmarshal(set.Spec.Generators[0].List.Elements[0].Raw, &element); err != nil {
					t.Fatalf("list element: %v", err)
				}
				if got := element["extra"].(map[string]any)["zones"]; !cmp.Equal(got, []any{"a", "b"}) {
					t.Errorf("list element extra.zones = %v", got)
				}
				if got := string(set.Spec.Generators[1].Plugin.Input.Parameters["list"].Raw); got != "[1,2]" {
					t.Errorf("plugin parameter list = %s, want [1,2]", got)
				}
				if got := set.Spec.Generators[3].SCMProvider.Gitlab.IncludeSharedProjects; got == nil || *got {
					t.Errorf("gitlab.includeSharedProjects = %v, want an explicit false", got)
				}
				nested := set.Spec.Generators[11].Matrix.Generators[0].Matrix
				var inner NestedMatrixGenerator
				if err := json.Unmarshal(nested.Raw, &inner); err != nil {
					t.Fatalf("nested matrix: %v", err)
				}
				if len(inner.Generators) != 2 || inner.Generators[1].Git == nil || len(inner.Generators[1].Git.Files) != 2 {
					t.Errorf("nested matrix generators = %+v, want list then git with two files", inner.Generators)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			manifest := readManifest(t, tt.file)
			set := decodeStrict[ApplicationSet](t, manifest)
			tt.check(t, set)
			if diff := wireDiff(t, manifest, set); diff != "" {
				t.Errorf("round trip (-manifest +re-encoded):\n%s", diff)
			}
		})
	}
}
