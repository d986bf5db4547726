package application

import (
	"testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/source"
)

func TestPushConcernsAndChanges(t *testing.T) {
	push := source.Push{URLs: []string{"https://git.example.com/team/apps"}, Ref: "refs/heads/main", DefaultBranch: "main",
		Files: []string{"apps/shop/deployment.yaml", "shared/values.yaml"}}
	app := func(repo, path, generatePaths string) *v1alpha1.Application {
		a := seedApp("a", repo, "ns")
		a.Spec.Source.Path = path
		if generatePaths != "" {
			a.Annotations = map[string]string{v1alpha1.AnnotationManifestGeneratePaths: generatePaths}
		}
		return a
	}
	tests := []struct {
		name                      string
		app                       *v1alpha1.Application
		wantConcerned, wantChange bool
	}{
		{"its path changed", app("https://git.example.com/team/apps.git", "apps/shop", ""), true, true},
		{"another path changed", app("https://git.example.com/team/apps.git", "apps/cart", ""), true, false},
		{"another repository", app("https://git.example.com/team/other.git", "apps/shop", ""), false, false},
		{"generate paths, relative", app("https://git.example.com/team/apps.git", "apps/cart", "../../shared"), true, true},
		{"generate paths, from the root", app("https://git.example.com/team/apps.git", "apps/cart", ".;/shared"), true, true},
		{"generate paths that did not change", app("https://git.example.com/team/apps.git", "apps/shop", "/elsewhere"), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			concerned, changed := pushConcerns(push, &tt.app.Spec, tt.app.Annotations)
			if concerned != tt.wantConcerned || changed != tt.wantChange {
				t.Errorf("pushConcerns = %v, %v; want %v, %v", concerned, changed, tt.wantConcerned, tt.wantChange)
			}
		})
	}
}
