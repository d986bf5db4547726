package settings

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	// touchActions offers one action, touch; restartActions offers
	// restart, which replaces the built-in restart when merged.
	touchActions = "discovery.lua: |\n  return {touch = {}}\ndefinitions:\n- name: touch\n  action.lua: return obj\n"
	deployment   = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {}"
)

func TestActionsAreReadFromEveryForm(t *testing.T) {
	tests := []struct {
		name string
		cm   map[string]string
		want []string
	}{
		{"none: the built-in actions", nil, []string{"pause", "restart", "resume"}},
		{"split key", map[string]string{"resource.customizations.actions.apps_Deployment": touchActions}, []string{"touch"}},
		{"split key merged", map[string]string{"resource.customizations.actions.apps_Deployment": touchActions + "mergeBuiltinActions: true\n"}, []string{"pause", "restart", "resume", "touch"}},
		{"block, as a string", map[string]string{"resource.customizations": "apps/Deployment:\n  actions: |\n    " + strings.ReplaceAll(touchActions, "\n", "\n    ")}, []string{"touch"}},
		{"block, as a mapping", map[string]string{"resource.customizations": "apps/Deployment:\n  actions:\n    discovery.lua: 'return {touch = {}}'\n    definitions: [{name: touch, action.lua: return obj}]\n"}, []string{"touch"}},
		{"the split key wins over the block", map[string]string{
			"resource.customizations":                         "apps/Deployment:\n  actions:\n    discovery.lua: 'return {other = {}}'\n    definitions: [{name: other, action.lua: return obj}]\n",
			"resource.customizations.actions.apps_Deployment": touchActions,
		}, []string{"touch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(Data{ConfigMap: tt.cm})
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Unsupported) > 0 {
				t.Errorf("unsupported: %v", s.Unsupported)
			}
			got, err := s.Actions.Discover(context.Background(), objectOf(t, deployment))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, a := range got {
				names = append(names, a.Name)
			}
			if diff := cmp.Diff(tt.want, names); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestActionErrorsNameTheKey(t *testing.T) {
	for _, tt := range []struct {
		cm   map[string]string
		want string
	}{
		{map[string]string{"resource.customizations.actions.apps_Deployment": "discovery.lua: 'return {'"}, "resource.customizations.actions.apps_Deployment: discovery.lua"},
		{map[string]string{"resource.customizations.actions.apps_": touchActions}, "resource.customizations.actions.apps_: \"apps_\" is not <group>_<kind>"},
		{map[string]string{"resource.customizations": "apps/Deployment:\n  actions: 'definitions: []'\n"}, "apps/Deployment: actions: discovery.lua is not set"},
	} {
		_, err := Parse(Data{ConfigMap: tt.cm})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("error = %v, want one containing %q", err, tt.want)
		}
	}
}
