package render

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestDetectType(t *testing.T) {
	const (
		helm      = v1alpha1.ApplicationSourceTypeHelm
		kustomize = v1alpha1.ApplicationSourceTypeKustomize
		directory = v1alpha1.ApplicationSourceTypeDirectory
	)
	tests := []struct {
		name    string
		source  v1alpha1.ApplicationSource
		files   []string
		want    v1alpha1.ApplicationSourceType
		wantErr string
	}{
		{name: "plain files", files: []string{"deploy.yaml"}, want: directory},
		{name: "empty directory", want: directory},
		{name: "Chart.yaml", files: []string{"Chart.yaml", "values.yaml"}, want: helm},
		{name: "kustomization.yaml", files: []string{"kustomization.yaml"}, want: kustomize},
		{name: "kustomization.yml", files: []string{"kustomization.yml"}, want: kustomize},
		{name: "Kustomization", files: []string{"Kustomization"}, want: kustomize},
		{name: "chart and kustomization: Helm", files: []string{"kustomization.yaml", "Chart.yaml"}, want: helm},
		{name: "chart.yaml in lower case is not a chart", files: []string{"chart.yaml"}, want: directory},
		{
			name:   "directory block wins over a kustomization",
			source: v1alpha1.ApplicationSource{Directory: &v1alpha1.ApplicationSourceDirectory{}},
			files:  []string{"kustomization.yaml"}, want: directory,
		},
		{
			name:   "kustomize block wins over a chart",
			source: v1alpha1.ApplicationSource{Kustomize: &v1alpha1.ApplicationSourceKustomize{}},
			files:  []string{"Chart.yaml"}, want: kustomize,
		},
		{
			name:   "helm block on plain files",
			source: v1alpha1.ApplicationSource{Helm: &v1alpha1.ApplicationSourceHelm{}},
			want:   helm,
		},
		{name: "chart from a Helm repository", source: v1alpha1.ApplicationSource{Chart: "redis"}, want: helm},
		{
			name:    "plugin",
			source:  v1alpha1.ApplicationSource{Plugin: &v1alpha1.ApplicationSourcePlugin{Name: "tanka"}},
			wantErr: `config management plugins are not supported (the source asks for plugin "tanka")`,
		},
		{
			name:    "plugin discovery",
			source:  v1alpha1.ApplicationSource{Plugin: &v1alpha1.ApplicationSourcePlugin{}},
			wantErr: "config management plugins are not supported (the source asks for plugin discovery)",
		},
		{
			name: "two tool blocks",
			source: v1alpha1.ApplicationSource{
				Helm:      &v1alpha1.ApplicationSourceHelm{},
				Kustomize: &v1alpha1.ApplicationSourceKustomize{},
			},
			wantErr: "source configures more than one tool: helm, kustomize",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			has := func(name string) bool {
				for _, f := range tt.files {
					if f == name {
						return true
					}
				}
				return false
			}
			got, err := detectType(tt.source, has)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tt.wantErr, gotErr); diff != "" {
				t.Fatalf("error (-want +got):\n%s", diff)
			}
			if got != tt.want {
				t.Errorf("detectType = %q, want %q", got, tt.want)
			}
		})
	}
}
