package application

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func TestImagesOf(t *testing.T) {
	obj := func(manifest string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
			t.Fatal(err)
		}
		return u
	}
	tests := []struct {
		name  string
		input []*unstructured.Unstructured
		want  []string
	}{
		{"a Deployment's containers and init containers", []*unstructured.Unstructured{obj(`
kind: Deployment
spec: {template: {spec: {initContainers: [{image: busybox:1}], containers: [{image: web:2}, {image: sidecar:3}]}}}`)},
			[]string{"busybox:1", "sidecar:3", "web:2"}},
		{"a CronJob and a Pod, an image shared once", []*unstructured.Unstructured{
			obj(`{kind: CronJob, spec: {jobTemplate: {spec: {template: {spec: {containers: [{image: tool:1}]}}}}}}`),
			obj(`{kind: Pod, spec: {containers: [{image: tool:1}, {image: web:1}]}}`)},
			[]string{"tool:1", "web:1"}},
		{"a hook's image is not the Application's", []*unstructured.Unstructured{
			obj(`{kind: Job, metadata: {annotations: {argocd.argoproj.io/hook: PreSync}}, spec: {template: {spec: {containers: [{image: migrate:1}]}}}}`)},
			nil},
		{"kinds without containers, and a malformed list", []*unstructured.Unstructured{
			obj(`{kind: ConfigMap, data: {image: not-one}}`),
			obj(`{kind: Deployment, spec: {template: {spec: {containers: ["web:1", {name: no-image}]}}}}`)},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, imagesOf(tt.input)); diff != "" {
				t.Errorf("imagesOf (-want +got):\n%s", diff)
			}
		})
	}
}
