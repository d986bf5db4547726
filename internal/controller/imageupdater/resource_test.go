package imageupdater

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	iuv1 "github.com/capstan-cd/capstan/api/imageupdater/v1alpha1"
	"github.com/capstan-cd/capstan/api/v1alpha1"
)

const p = "argocd-image-updater.argoproj.io/"

func TestResourceAnnotations(t *testing.T) {
	var r iuv1.ImageUpdater
	if err := yaml.UnmarshalStrict([]byte(`
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata: {name: web, namespace: argocd}
spec:
  namespace: argocd
  commonUpdateSettings:
    updateStrategy: semver
    ignoreTags: ["*-rc*"]
  writeBackConfig:
    method: git
    gitConfig:
      branch: main
      writeBackTarget: helmvalues
  applicationRefs:
  - namePattern: web-*
    commonUpdateSettings:
      allowTags: "regexp:^1\\."
    writeBackConfig:
      gitConfig:
        branch: "main:image-updater-{{.SHA256}}"
    images:
    - alias: web
      imageName: ghcr.io/org/web:1.x
      commonUpdateSettings:
        updateStrategy: newest-build
        platforms: [linux/arm64]
      manifestTargets:
        helm: {name: web.image.repository, tag: web.image.tag}
    - alias: proxy
      imageName: nginx
      manifestTargets:
        kustomize: {name: docker.io/nginx}
`), &r); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		p + "image-list":                 "web=ghcr.io/org/web:1.x,proxy=nginx",
		p + "web.update-strategy":        "newest-build",
		p + "web.allow-tags":             `regexp:^1\.`,
		p + "web.ignore-tags":            "*-rc*",
		p + "web.platforms":              "linux/arm64",
		p + "web.helm.image-name":        "web.image.repository",
		p + "web.helm.image-tag":         "web.image.tag",
		p + "proxy.update-strategy":      "semver",
		p + "proxy.allow-tags":           `regexp:^1\.`,
		p + "proxy.ignore-tags":          "*-rc*",
		p + "proxy.kustomize.image-name": "docker.io/nginx",
		p + "write-back-method":          "git",
		p + "git-branch":                 "main:image-updater-{{.SHA256}}",
		p + "write-back-target":          "helmvalues",
	}
	if diff := cmp.Diff(want, resourceAnnotations(r.Spec, r.Spec.ApplicationRefs[0])); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestSelects(t *testing.T) {
	app := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "web-prod", Labels: map[string]string{"env": "prod"}}}
	for _, tc := range []struct {
		ref  iuv1.ApplicationRef
		want bool
	}{
		{iuv1.ApplicationRef{NamePattern: "*"}, true},
		{iuv1.ApplicationRef{NamePattern: "web-*"}, true},
		{iuv1.ApplicationRef{NamePattern: "api-*"}, false},
		{iuv1.ApplicationRef{NamePattern: "["}, false},
		{iuv1.ApplicationRef{NamePattern: "*", LabelSelectors: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}}, true},
		{iuv1.ApplicationRef{NamePattern: "*", LabelSelectors: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "dev"}}}, false},
	} {
		if got := selects(tc.ref, app); got != tc.want {
			t.Errorf("selects(%+v) = %v, want %v", tc.ref, got, tc.want)
		}
	}
}

func TestWithResourceAnnotationsReplacesOnlyTheUpdatersOwn(t *testing.T) {
	app := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
		p + "image-list": "old", p + "old.update-strategy": "digest", "team": "a",
	}}}
	got := withResourceAnnotations(app, map[string]string{p + "image-list": "new"})
	if diff := cmp.Diff(map[string]string{p + "image-list": "new", "team": "a"}, got.Annotations); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if app.Annotations[p+"image-list"] != "old" {
		t.Error("the Application itself was changed")
	}
}
