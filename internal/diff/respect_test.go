package diff

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestRespect(t *testing.T) {
	obj := func(manifest string) *unstructured.Unstructured { return parse(t, manifest) }
	deployment := func(replicas int, images ...string) *unstructured.Unstructured {
		containers := ""
		for i, image := range images {
			containers += "\n      - {name: c" + string(rune('0'+i)) + ", image: " + image + "}"
		}
		return obj("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  replicas: " +
			string(rune('0'+replicas)) + "\n  template:\n    spec:\n      containers:" + containers)
	}
	withStatus := func(u *unstructured.Unstructured) *unstructured.Unstructured {
		u.SetResourceVersion("42")
		u.SetUID("1234")
		_ = unstructured.SetNestedField(u.Object, int64(3), "status", "readyReplicas")
		return u
	}
	tests := []struct {
		name    string
		rules   []v1alpha1.ResourceIgnoreDifferences
		desired *unstructured.Unstructured
		live    *unstructured.Unstructured
		want    *unstructured.Unstructured
	}{
		{
			name:    "the autoscaler's replicas are kept, the new image applied",
			rules:   []v1alpha1.ResourceIgnoreDifferences{{Group: "apps", Kind: "Deployment", JSONPointers: []string{"/spec/replicas"}}},
			desired: deployment(1, "web:2"),
			live:    withStatus(deployment(3, "web:1")),
			want:    deployment(3, "web:2"),
		},
		{
			name:    "an ignored field live does not hold is left out",
			rules:   []v1alpha1.ResourceIgnoreDifferences{{Kind: "ConfigMap", JSONPointers: []string{"/data/b"}}},
			desired: obj(`{apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {a: "1", b: "2"}}`),
			live:    obj(`{apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {a: "0"}}`),
			want:    obj(`{apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {a: "1"}}`),
		},
		{
			name: "one container's image by jq, the other's applied",
			rules: []v1alpha1.ResourceIgnoreDifferences{{Group: "apps", Kind: "Deployment",
				JQPathExpressions: []string{`.spec.template.spec.containers[] | select(.name == "c0") | .image`}}},
			desired: deployment(1, "web:2", "sidecar:2"),
			live:    withStatus(deployment(1, "web:1", "sidecar:1")),
			want:    deployment(1, "web:1", "sidecar:2"),
		},
		{
			name:    "an element of a list by pointer",
			rules:   []v1alpha1.ResourceIgnoreDifferences{{Group: "apps", Kind: "Deployment", JSONPointers: []string{"/spec/template/spec/containers/1/image"}}},
			desired: deployment(1, "web:2", "sidecar:2"),
			live:    withStatus(deployment(1, "web:1", "sidecar:1")),
			want:    deployment(1, "web:2", "sidecar:1"),
		},
		{
			name:    "rules for another kind change nothing",
			rules:   []v1alpha1.ResourceIgnoreDifferences{{Kind: "ConfigMap", JSONPointers: []string{"/spec/replicas"}}},
			desired: deployment(1, "web:2"),
			live:    withStatus(deployment(3, "web:1")),
			want:    deployment(1, "web:2"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ign, err := NewIgnorer(tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			before := tt.desired.DeepCopy()
			got, err := Respect(context.Background(), tt.desired, tt.live, ign)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want.Object, got.Object); diff != "" {
				t.Errorf("Respect (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before.Object, tt.desired.Object); diff != "" {
				t.Errorf("Respect changed desired (-before +after):\n%s", diff)
			}
		})
	}
}
