package render

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name  string
		input string
		// want lists the kind/name of each object.
		want []string
	}{
		{
			name:  "one object",
			input: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
			want:  []string{"ConfigMap/a"},
		},
		{
			name:  "documents, empty ones skipped",
			input: "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n# nothing\n---\n\n--- # trailing comment\napiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n...\n",
			want:  []string{"ConfigMap/a", "Secret/b"},
		},
		{
			name:  "a List is flattened",
			input: "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: b}\n",
			want:  []string{"ConfigMap/a", "Secret/b"},
		},
		{
			name:  "any kind ending in List with items",
			input: "apiVersion: v1\nkind: ConfigMapList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n",
			want:  []string{"ConfigMap/a"},
		},
		{
			name:  "a List kind without items is an object",
			input: "apiVersion: example.com/v1\nkind: AllowList\nmetadata: {name: a}\nspec: {}\n",
			want:  []string{"AllowList/a"},
		},
		{
			name:  "JSON",
			input: `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}`,
			want:  []string{"ConfigMap/a"},
		},
		{
			name:  "a flow mapping on the separator line",
			input: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n--- {apiVersion: v1, kind: Secret, metadata: {name: b}}\n",
			want:  []string{"ConfigMap/a", "Secret/b"},
		},
		{
			name:  "dashes inside a block scalar do not split",
			input: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: |\n    ---\n    y\n",
			want:  []string{"ConfigMap/a"},
		},
		{
			name:  "empty file",
			input: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := decode("f.yaml", []byte(tt.input))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			var got []string
			for _, o := range objs {
				got = append(got, o.GetKind()+"/"+o.GetName())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{
			name:  "malformed YAML names the line of the file",
			input: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n   bad: indent\n",
			want:  "guestbook/deploy.yaml: line 10: ",
		},
		{
			name:  "malformed YAML in the first document",
			input: "apiVersion: v1\nkind: [ConfigMap\n",
			want:  "guestbook/deploy.yaml: line 2: ",
		},
		{
			name:  "no kind",
			input: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata:\n  name: b\n",
			want:  "guestbook/deploy.yaml: document 1 (line 5): object has no kind",
		},
		{
			name:  "no apiVersion and no kind",
			input: "metadata:\n  name: b\n",
			want:  "guestbook/deploy.yaml: document 0 (line 1): object has no apiVersion and kind",
		},
		{
			name:  "not an object",
			input: "- a\n- b\n",
			want:  "guestbook/deploy.yaml: document 0 (line 1): not an object",
		},
		{
			name:  "List item without kind",
			input: "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  metadata: {name: a}\n",
			want:  "guestbook/deploy.yaml: document 0 (line 1): List item 0: object has no kind",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := decode("guestbook/deploy.yaml", []byte(tt.input))
			if err == nil {
				t.Fatalf("decode returned %d objects and no error", len(objs))
			}
			if objs != nil {
				t.Errorf("decode returned objects with its error")
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %q, want prefix %q", err, tt.want)
			}
		})
	}
}

func TestSplitDocuments(t *testing.T) {
	tests := []struct {
		name  string
		input string
		// want is each document's text and first line.
		want []document
	}{
		{name: "one", input: "a: 1\n", want: []document{{text: []byte("a: 1\n")}}},
		{
			name:  "leading separator",
			input: "---\na: 1\n---\nb: 2",
			want:  []document{{text: []byte("---\na: 1\n")}, {text: []byte("---\nb: 2"), line: 2}},
		},
		{
			name:  "separator with content stays with its document",
			input: "a: 1\n--- {b: 2}\n--- # c\n",
			want:  []document{{text: []byte("a: 1\n")}, {text: []byte("--- {b: 2}\n"), line: 1}, {text: []byte("--- # c\n"), line: 2}},
		},
		{
			name:  "not separators",
			input: "a: |\n  ---\nb: ----\n---x: 1\n",
			want:  []document{{text: []byte("a: |\n  ---\nb: ----\n---x: 1\n")}},
		},
		{name: "empty", input: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitDocuments([]byte(tt.input))
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(document{})); diff != "" {
				t.Errorf("documents (-want +got):\n%s", diff)
			}
		})
	}
}
