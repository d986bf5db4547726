package server

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/appcache"
)

func TestWriteAppList(t *testing.T) {
	a := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"x": "y"}}}
	a.Status.Sync.Status, a.Status.Sync.Revision = v1alpha1.SyncStatusCodeSynced, "abc"
	b := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "b"}}
	meta := metav1.ListMeta{ResourceVersion: "7"}
	tests := []struct {
		name   string
		fields []string
		items  []*v1alpha1.Application
		want   string
	}{
		{"everything", nil, []*v1alpha1.Application{b},
			`{"metadata":{"resourceVersion":"7"},"items":[{"metadata":{"name":"b"},"spec":{"destination":{},"project":""}}]}`},
		{"no items", nil, nil, `{"metadata":{"resourceVersion":"7"},"items":[]}`},
		{"a status whole", nil, []*v1alpha1.Application{a},
			`{"metadata":{"resourceVersion":"7"},"items":[{"metadata":{"name":"a","labels":{"x":"y"}},"spec":{"destination":{},"project":""},` +
				`"status":{"sync":{"status":"Synced","revision":"abc"}}}]}`},
		{"through the list", []string{"items.metadata.name", "items.status.sync.status"}, []*v1alpha1.Application{a, b},
			`{"items":[{"metadata":{"name":"a"},"status":{"sync":{"status":"Synced"}}},{"metadata":{"name":"b"}}]}`},
		{"a shorter path keeps all under it", []string{"items.metadata.name", "items.metadata"}, []*v1alpha1.Application{a},
			`{"items":[{"metadata":{"labels":{"x":"y"},"name":"a"}}]}`},
		{"shorter first", []string{"items.metadata", "items.metadata.name"}, []*v1alpha1.Application{a},
			`{"items":[{"metadata":{"labels":{"x":"y"},"name":"a"}}]}`},
		{"list metadata only", []string{"metadata.resourceVersion"}, []*v1alpha1.Application{a}, `{"metadata":{"resourceVersion":"7"}}`},
		{"both", []string{"metadata", "items.metadata.name"}, []*v1alpha1.Application{a}, `{"metadata":{"resourceVersion":"7"},"items":[{"metadata":{"name":"a"}}]}`},
		{"unknown path", []string{"items.nope"}, []*v1alpha1.Application{a, b}, `{"items":[{},{}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			cached := make([]*appcache.Application, len(tt.items))
			for i, app := range tt.items {
				cached[i] = appcache.Pack(app.DeepCopy())
			}
			if err := writeAppList(w, meta, cached, tt.fields); err != nil {
				t.Fatal(err)
			}
			var got, want any
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("not JSON: %s: %v", w.Body, err)
			}
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("list (-want +got):\n%s", diff)
			}
		})
	}
}
