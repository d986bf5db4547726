package imageupdater

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestSetImages(t *testing.T) {
	helmApp := func() *v1alpha1.Application {
		return &v1alpha1.Application{Spec: v1alpha1.ApplicationSpec{Source: &v1alpha1.ApplicationSource{
			RepoURL: "https://charts.example.com", Chart: "web",
			Helm: &v1alpha1.ApplicationSourceHelm{Parameters: []v1alpha1.HelmParameter{{Name: "replicas", Value: "2"}, {Name: "image.tag", Value: "1.0.0"}}},
		}}}
	}
	for _, tc := range []struct {
		name    string
		app     *v1alpha1.Application
		updates []Update
		want    v1alpha1.ApplicationSources
		changed bool
	}{{
		name:    "helm name and tag",
		app:     helmApp(),
		updates: []Update{{Image: "ghcr.io/org/web", Tag: "1.1.0"}},
		changed: true,
		want: v1alpha1.ApplicationSources{{RepoURL: "https://charts.example.com", Chart: "web", Helm: &v1alpha1.ApplicationSourceHelm{Parameters: []v1alpha1.HelmParameter{
			{Name: "replicas", Value: "2"}, {Name: "image.tag", Value: "1.1.0", ForceString: true}, {Name: "image.name", Value: "ghcr.io/org/web", ForceString: true},
		}}}},
	}, {
		name:    "helm image-spec",
		app:     helmApp(),
		updates: []Update{{Image: "ghcr.io/org/web", Tag: "1.1.0", HelmImageSpec: "web.image"}},
		changed: true,
		want: v1alpha1.ApplicationSources{{RepoURL: "https://charts.example.com", Chart: "web", Helm: &v1alpha1.ApplicationSourceHelm{Parameters: []v1alpha1.HelmParameter{
			{Name: "replicas", Value: "2"}, {Name: "image.tag", Value: "1.0.0"}, {Name: "web.image", Value: "ghcr.io/org/web:1.1.0", ForceString: true},
		}}}},
	}, {
		name: "kustomize by detected type, multi-source",
		app: &v1alpha1.Application{
			Spec: v1alpha1.ApplicationSpec{Sources: v1alpha1.ApplicationSources{
				{RepoURL: "https://git.example.com/values.git", Ref: "values"},
				{RepoURL: "https://git.example.com/app.git", Path: "overlay", Kustomize: &v1alpha1.ApplicationSourceKustomize{Images: v1alpha1.KustomizeImages{"web=ghcr.io/org/web:1.0.0"}}},
			}},
			Status: v1alpha1.ApplicationStatus{SourceTypes: []v1alpha1.ApplicationSourceType{"", v1alpha1.ApplicationSourceTypeKustomize}},
		},
		updates: []Update{{Image: "ghcr.io/org/web", Tag: "1.1.0", KustomizeImageName: "web"}},
		changed: true,
		want: v1alpha1.ApplicationSources{
			{RepoURL: "https://git.example.com/values.git", Ref: "values"},
			{RepoURL: "https://git.example.com/app.git", Path: "overlay", Kustomize: &v1alpha1.ApplicationSourceKustomize{Images: v1alpha1.KustomizeImages{"web=ghcr.io/org/web:1.1.0"}}},
		},
	}, {
		name:    "already set",
		app:     helmApp(),
		updates: []Update{{Image: "ghcr.io/org/web", Tag: "1.0.0", HelmImageSpec: "image.tag"}},
		changed: true,
		want: v1alpha1.ApplicationSources{{RepoURL: "https://charts.example.com", Chart: "web", Helm: &v1alpha1.ApplicationSourceHelm{Parameters: []v1alpha1.HelmParameter{
			{Name: "replicas", Value: "2"}, {Name: "image.tag", Value: "ghcr.io/org/web:1.0.0", ForceString: true},
		}}}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			changed, err := SetImages(tc.app, tc.updates)
			if err != nil {
				t.Fatal(err)
			}
			if changed != tc.changed {
				t.Errorf("changed = %v, want %v", changed, tc.changed)
			}
			if diff := cmp.Diff(tc.want, tc.app.Spec.GetSources()); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestSetImagesUnchanged(t *testing.T) {
	app := &v1alpha1.Application{Spec: v1alpha1.ApplicationSpec{Source: &v1alpha1.ApplicationSource{
		Path: "k", Kustomize: &v1alpha1.ApplicationSourceKustomize{Images: v1alpha1.KustomizeImages{"nginx:1.27.0"}},
	}}}
	changed, err := SetImages(app, []Update{{Image: "nginx", Tag: "1.27.0"}})
	if err != nil || changed {
		t.Errorf("SetImages = %v, %v; want no change", changed, err)
	}
	dir := &v1alpha1.Application{Spec: v1alpha1.ApplicationSpec{Source: &v1alpha1.ApplicationSource{Path: "d"}},
		Status: v1alpha1.ApplicationStatus{SourceType: v1alpha1.ApplicationSourceTypeDirectory}}
	if _, err := SetImages(dir, []Update{{Image: "nginx", Tag: "1"}}); err == nil {
		t.Error("a directory source took an image")
	}
}
