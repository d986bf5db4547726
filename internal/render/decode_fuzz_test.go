package render

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// FuzzDecode checks that the decoder never panics, and that whatever it
// returns survives being written out and read back, as YAML and as JSON.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  n: \"1\"\n",
		"---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: b}}\n---\n",
		`{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":3,"x":1.5,"y":null,"z":[true]}}`,
		"apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: a}\nother: *m\n",
		"apiVersion: v1\nkind: [\n",
		"a: b\n--- # c\n- 1\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := decode("fuzz.yaml", data)
		if err != nil {
			if objs != nil {
				t.Fatalf("objects returned with error %v", err)
			}
			return
		}
		for i, o := range objs {
			y, err := yaml.Marshal(o.Object)
			if err != nil {
				t.Fatalf("object %d: marshal YAML: %v", i, err)
			}
			j, err := json.Marshal(o.Object)
			if err != nil {
				t.Fatalf("object %d: marshal JSON: %v", i, err)
			}
			for _, out := range []struct {
				name string
				data []byte
			}{{"round.yaml", y}, {"round.json", j}} {
				again, err := decode(out.name, out.data)
				if err != nil {
					t.Fatalf("object %d: %s does not decode: %v\n%s", i, out.name, err, out.data)
				}
				if len(again) != 1 {
					t.Fatalf("object %d: %s decodes to %d objects\n%s", i, out.name, len(again), out.data)
				}
				if diff := cmp.Diff(o.Object, again[0].Object); diff != "" {
					t.Fatalf("object %d: %s differs (-first +again):\n%s", i, out.name, diff)
				}
			}
		}
	})
}
