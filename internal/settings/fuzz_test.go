package settings

import "testing"

// FuzzParseCustomizations feeds arbitrary customizations to the parser:
// it may refuse them, never panic, and what it accepts has its rules.
func FuzzParseCustomizations(f *testing.F) {
	f.Add("apps/Deployment:\n  health.lua: 'return {status = \"Healthy\"}'\n  ignoreDifferences: |\n    jsonPointers: [/spec/replicas]\n", "example.com_Widget", "return {status = \"Healthy\"}", "jsonPointers: [/a]")
	f.Add("'*.io/*':\n  health.cel: '\"Healthy\"'\n", "Service.cel", `"Degraded"`, "jqPathExpressions: [.spec]")
	f.Add("[", "_", "", "managedFieldsManagers: [x]")
	f.Fuzz(func(t *testing.T, block, gk, script, rule string) {
		s, err := Parse(Data{ConfigMap: {
			"resource.customizations":                         block,
			"resource.customizations.health." + gk:            script,
			"resource.customizations.ignoreDifferences." + gk: rule,
		}})
		if err != nil {
			return
		}
		for _, r := range s.IgnoreDifferences {
			if r.Kind == "" {
				t.Errorf("a rule without a kind: %+v", r)
			}
		}
	})
}
