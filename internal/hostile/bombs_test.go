package hostile

import (
	"fmt"
	"strings"
	"testing"
)

// Content that costs more to read than it weighs: alias bombs and cycles,
// which parsers must refuse by themselves, without help from the render
// limits.

// yamlBomb is a billion-laughs document: nine levels of nine aliases,
// 9^9 (387 million) strings once expanded, in under a kilobyte.
func yamlBomb() string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\n")
	b.WriteString(`l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]` + "\n")
	for i := 1; i <= 8; i++ {
		ref := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(ref+",", 9), ","))
	}
	b.WriteString("data:\n  x: *l8\n")
	return b.String()
}

// A YAML billion-laughs manifest, and the same bomb as Helm values, are
// refused by the parser, naming the file.
func TestYAMLBillionLaughs(t *testing.T) {
	bomb := yamlBomb()
	for _, c := range []refusal{{
		name:  "yaml-bomb",
		tree:  tree{files: map[string]string{"app/bomb.yaml": bomb}},
		cause: []string{"bomb.yaml", "(?i)alias"},
	}, {
		name: "yaml-bomb-values",
		tree: tree{files: map[string]string{
			"app/Chart.yaml":        "apiVersion: v2\nname: bomb\nversion: 1.0.0\n",
			"app/values.yaml":       strings.Replace(bomb, "data:\n  x: *l8\n", "x: *l8\n", 1),
			"app/templates/cm.yaml": configMap("ok", "", nil),
		}},
		cause: []string{"values.yaml", "(?i)alias"},
	}} {
		t.Run(c.name, c.run)
	}
}

// A kustomization whose base is an overlay of itself (a → b → a) is
// refused, naming the cycle.
func TestKustomizationCycle(t *testing.T) {
	refusal{
		name: "kust-cycle",
		tree: tree{files: map[string]string{
			"app/kustomization.yaml": "resources: [../b]\n",
			"b/kustomization.yaml":   "resources: [../app, cm.yaml]\n",
			"b/cm.yaml":              configMap("cycle", "", nil),
		}},
		cause: []string{"(?i)cycle"},
	}.run(t)
}
