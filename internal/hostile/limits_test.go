package hostile

import (
	"fmt"
	"strings"
	"testing"
)

// Item 4 of the issue: rendering untrusted content runs under limits of
// time, memory, stack, output size and object count that the content
// cannot defeat. A render past a limit fails naming the limit; the
// controller, and every other Application, go on.

// Endless tail-strict recursion in Jsonnet overflows any stack: in the
// controller's own process it is a Go fatal error no recover catches.
func TestJsonnetEndlessRecursion(t *testing.T) {
	refusal{
		name: "jsonnet-recursion",
		tree: tree{files: map[string]string{
			"app/main.jsonnet": "local f(x) = if x > 1e12 then {} else f(x + 1) tailstrict; f(0)\n",
		}},
		cause: []string{"(?i)stack|recursion"},
	}.run(t)
}

// A Jsonnet program that allocates without bound hits the memory limit.
func TestJsonnetMemoryBomb(t *testing.T) {
	refusal{
		name: "jsonnet-memory",
		tree: tree{files: map[string]string{
			"app/main.jsonnet": "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'big'}, data: {x: std.join('', std.makeArray(1e9, function(i) 'xxxxxxxx'))}}\n",
		}},
		cause: []string{"(?i)memory"},
	}.run(t)
}

// Helm's `until` builds and walks lists in a loop that ignores any
// deadline: ten billion empty iterations hold a render until the time
// limit stops it.
func TestHelmEndlessLoop(t *testing.T) {
	refusal{
		name: "helm-loop",
		tree: tree{files: map[string]string{
			"app/Chart.yaml":        "apiVersion: v2\nname: loop\nversion: 1.0.0\n",
			"app/templates/cm.yaml": "{{- range until 100000 }}{{- range until 100000 }}{{- end }}{{- end }}\n" + configMap("loop", "", nil),
		}},
		cause: []string{"(?i)longer than|time"},
	}.run(t)
}

// A chart of a few hundred bytes that renders 72 MB (80 ConfigMaps of
// 900 kB, each under the API server's own size limit; the 100 MB
// scaled down to what passes the 64 MiB output limit, since parsing the
// output takes most of the time) is stopped by the output limit.
func TestHelmChartRenderingPast64MiB(t *testing.T) {
	refusal{
		name: "helm-100mb",
		tree: tree{files: map[string]string{
			"app/Chart.yaml": "apiVersion: v2\nname: big\nversion: 1.0.0\n",
			"app/templates/cm.yaml": `{{- range $i := until 80 }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: big-{{ $i }}
data:
  x: {{ repeat 900000 "x" | quote }}
{{- end }}
`,
		}},
		cause: []string{"(?i)output|large"},
	}.run(t)
}

// manyObjects is a YAML stream of n ConfigMaps.
func manyObjects(n int) string {
	var b strings.Builder
	b.Grow(n * 60)
	for i := range n {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%d}\n", i)
	}
	return b.String()
}

// One 3 MB file of 50,000 tiny ConfigMaps (the "millions", scaled
// down to keep the suite quick; the limit, 10,000, is far below either) is
// refused by the object limit before anything is applied.
func TestMillionsOfTinyObjects(t *testing.T) {
	refusal{
		name:  "many-objects",
		tree:  tree{files: map[string]string{"app/many.yaml": manyObjects(50000)}},
		cause: []string{"(?i)objects"},
	}.run(t)
}
