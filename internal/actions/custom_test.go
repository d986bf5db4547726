package actions

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var deploymentKind = schema.GroupKind{Group: "apps", Kind: "Deployment"}

// scale is a customization in argocd-cm's form, with a parameter.
const scale = `
discovery.lua: |
  local actions = {}
  actions["scale"] = {displayName = "Scale", params = {{name = "replicas", type = "number", default = tostring(obj.spec.replicas)}}}
  actions["undefined"] = {}
  return actions
definitions:
- name: scale
  action.lua: |
    obj.spec.replicas = tonumber(actionParams["replicas"])
    return obj
`

func mustParse(t *testing.T, text string) *Script {
	t.Helper()
	s, err := Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func names(actions []Action) []string {
	var out []string
	for _, a := range actions {
		out = append(out, a.Name)
	}
	return out
}

func TestCustomActionsReplaceOrMergeTheBuiltIns(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"replace", scale, []string{"scale"}},
		{"merge", scale + "mergeBuiltinActions: true\n", []string{"pause", "restart", "resume", "scale"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := NewSet(map[schema.GroupKind]*Script{deploymentKind: mustParse(t, tt.text)})
			got, err := set.Discover(context.Background(), parse(t, deployment))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, names(got)); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCustomActionTakesParameters(t *testing.T) {
	set := NewSet(map[schema.GroupKind]*Script{deploymentKind: mustParse(t, scale)})
	obj := parse(t, deployment)
	got, err := set.Discover(context.Background(), obj)
	if err != nil {
		t.Fatal(err)
	}
	want := []Action{{Name: "scale", DisplayName: "Scale", Params: []Param{{Name: "replicas", Type: "number", Default: "2"}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("discovery (-want +got):\n%s", diff)
	}
	ops, err := set.Run(context.Background(), obj, "scale", map[string]string{"replicas": "5"})
	if err != nil {
		t.Fatal(err)
	}
	if r := ops[0].Object.Object["spec"].(map[string]any)["replicas"]; r != int64(5) {
		t.Errorf("replicas = %#v, want 5", r)
	}
}

func TestParseRefusesBrokenCustomizations(t *testing.T) {
	for _, tt := range []struct{ name, text, want string }{
		{"no discovery", "definitions: [{name: a, action.lua: 'return obj'}]", "discovery.lua is not set"},
		{"bad Lua", "discovery.lua: 'return {'\ndefinitions: []", "discovery.lua: parse Lua"},
		{"bad action Lua", "discovery.lua: 'return {}'\ndefinitions: [{name: a, action.lua: 'obj ='}]", "action a: parse Lua"},
		{"unnamed", "discovery.lua: 'return {}'\ndefinitions: [{action.lua: 'return obj'}]", "has no name"},
		{"twice", "discovery.lua: 'return {}'\ndefinitions: [{name: a, action.lua: 'return obj'}, {name: a, action.lua: 'return obj'}]", "defined twice"},
		{"unknown field", "discovery.lua: 'return {}'\ndefinitons: []", "unknown field"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.text))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestParseReadsTheBlockForm reads actions written as a string inside the
// resource.customizations block, which reaches Parse as a JSON string.
func TestParseReadsTheBlockForm(t *testing.T) {
	s, err := Parse([]byte(`"discovery.lua: |\n  return {a = {}}\ndefinitions:\n- name: a\n  action.lua: return obj\n"`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := NewSet(map[schema.GroupKind]*Script{deploymentKind: s}).Discover(context.Background(), parse(t, deployment))
	if err != nil || len(got) != 1 || got[0].Name != "a" {
		t.Errorf("discovery = %v, %v; want action a", got, err)
	}
}
