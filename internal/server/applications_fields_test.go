package server

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSelectFields(t *testing.T) {
	list := map[string]any{
		"metadata": map[string]any{"resourceVersion": "7"},
		"items": []any{
			map[string]any{"metadata": map[string]any{"name": "a", "labels": map[string]any{"x": "y"}}, "status": map[string]any{"sync": map[string]any{"status": "Synced", "revision": "abc"}}},
			map[string]any{"metadata": map[string]any{"name": "b"}},
		},
	}
	tests := []struct {
		name   string
		fields []string
		want   any
	}{
		{"none keeps all", nil, list},
		{"through the list", []string{"items.metadata.name", "items.status.sync.status"}, map[string]any{"items": []any{
			map[string]any{"metadata": map[string]any{"name": "a"}, "status": map[string]any{"sync": map[string]any{"status": "Synced"}}},
			map[string]any{"metadata": map[string]any{"name": "b"}},
		}}},
		{"a shorter path keeps all under it", []string{"items.metadata.name", "items.metadata"}, map[string]any{"items": []any{
			map[string]any{"metadata": map[string]any{"name": "a", "labels": map[string]any{"x": "y"}}},
			map[string]any{"metadata": map[string]any{"name": "b"}},
		}}},
		{"shorter first", []string{"items.metadata", "items.metadata.name"}, map[string]any{"items": []any{
			map[string]any{"metadata": map[string]any{"name": "a", "labels": map[string]any{"x": "y"}}},
			map[string]any{"metadata": map[string]any{"name": "b"}},
		}}},
		{"list metadata", []string{"metadata.resourceVersion"}, map[string]any{"metadata": map[string]any{"resourceVersion": "7"}}},
		{"unknown path", []string{"items.nope"}, map[string]any{"items": []any{map[string]any{}, map[string]any{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := selectFields(list, tt.fields)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("selected (-want +got):\n%s", diff)
			}
		})
	}
}
