package render

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestHelmMergeValues(t *testing.T) {
	tests := []struct {
		name     string
		dst, src map[string]any
		want     map[string]any
	}{{
		name: "maps merge key by key",
		dst:  map[string]any{"image": map[string]any{"repo": "a", "tag": "1"}, "replicas": 1},
		src:  map[string]any{"image": map[string]any{"tag": "2"}},
		want: map[string]any{"image": map[string]any{"repo": "a", "tag": "2"}, "replicas": 1},
	}, {
		name: "a scalar replaces a map",
		dst:  map[string]any{"image": map[string]any{"tag": "1"}},
		src:  map[string]any{"image": "nginx"},
		want: map[string]any{"image": "nginx"},
	}, {
		name: "a map replaces a scalar",
		dst:  map[string]any{"image": "nginx"},
		src:  map[string]any{"image": map[string]any{"tag": "1"}},
		want: map[string]any{"image": map[string]any{"tag": "1"}},
	}, {
		name: "lists are replaced, not appended",
		dst:  map[string]any{"args": []any{"a", "b"}},
		src:  map[string]any{"args": []any{"c"}},
		want: map[string]any{"args": []any{"c"}},
	}, {
		name: "null is kept for Helm to delete the key",
		dst:  map[string]any{"a": 1},
		src:  map[string]any{"a": nil},
		want: map[string]any{"a": nil},
	}, {
		name: "nil destination",
		src:  map[string]any{"a": 1},
		want: map[string]any{"a": 1},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, mergeValues(tt.dst, tt.src)); diff != "" {
				t.Errorf("mergeValues (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHelmEscapeSetValue(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{name: "plain", input: "nginx", want: "nginx"},
		{name: "commas become literal", input: "a,b,,c", want: `a\,b\,\,c`},
		{name: "escaped commas stay", input: `a\,b`, want: `a\,b`},
		{name: "a list keeps its commas", input: "{a,b}", want: "{a,b}"},
		{name: "leading comma", input: ",a", want: `\,a`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, escapeSetValue(tt.input)); diff != "" {
				t.Errorf("escapeSetValue(%q) (-want +got):\n%s", tt.input, diff)
			}
		})
	}
}

func TestHelmSetParameters(t *testing.T) {
	tests := []struct {
		name   string
		params []v1alpha1.HelmParameter
		want   map[string]any
	}{{
		name:   "types follow --set",
		params: []v1alpha1.HelmParameter{{Name: "n", Value: "3"}, {Name: "b", Value: "true"}, {Name: "s", Value: "x"}},
		want:   map[string]any{"n": int64(3), "b": true, "s": "x"},
	}, {
		name:   "forceString keeps strings",
		params: []v1alpha1.HelmParameter{{Name: "n", Value: "3", ForceString: true}, {Name: "b", Value: "true", ForceString: true}},
		want:   map[string]any{"n": "3", "b": "true"},
	}, {
		name: "string parameters apply after the others, as Helm orders its flags",
		params: []v1alpha1.HelmParameter{
			{Name: "tag", Value: "1", ForceString: true},
			{Name: "tag", Value: "2"},
		},
		want: map[string]any{"tag": "1"},
	}, {
		name:   "nested names and lists",
		params: []v1alpha1.HelmParameter{{Name: "image.tag", Value: "v1"}, {Name: "args", Value: "{a,b}"}, {Name: "hosts[0]", Value: "x"}},
		want:   map[string]any{"image": map[string]any{"tag": "v1"}, "args": []any{"a", "b"}, "hosts": []any{"x"}},
	}, {
		name:   "a comma in a value is part of it",
		params: []v1alpha1.HelmParameter{{Name: "cors", Value: "a.com,b.com"}},
		want:   map[string]any{"cors": "a.com,b.com"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]any{}
			if err := setParameters(got, tt.params); err != nil {
				t.Fatalf("setParameters: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
}
