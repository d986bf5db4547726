package render

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

const overrideDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.0
`

func containerImage(t *testing.T, objs []*unstructured.Unstructured) string {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() != "Deployment" {
			continue
		}
		cs, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
		if len(cs) == 1 {
			return cs[0].(map[string]any)["image"].(string)
		}
	}
	t.Fatalf("no deployment with one container in %v", objs)
	return ""
}

func TestOverrideFileKustomize(t *testing.T) {
	root := writeTree(t, map[string]string{
		"k/kustomization.yaml":         "resources: [deploy.yaml]\n",
		"k/deploy.yaml":                overrideDeployment,
		"k/.argocd-source-web.yaml":    "kustomize:\n  images:\n  - nginx:1.27\n",
		"k/.argocd-source-other.yaml":  "kustomize:\n  images:\n  - nginx:6.6\n",
		"k/.argocd-source.yaml":        "kustomize:\n  namePrefix: shared-\n",
		"elsewhere/kustomization.yaml": "resources: []\n",
		"k2/kustomization.yaml":        "resources: [deploy.yaml]\n",
		"k2/deploy.yaml":               overrideDeployment,
		"k2/.argocd-source-web.yaml":   "path: elsewhere\nkustomize:\n  images: [nginx:1.28]\n",
	})
	src := v1alpha1.ApplicationSource{Path: "k", Kustomize: &v1alpha1.ApplicationSourceKustomize{Images: v1alpha1.KustomizeImages{"nginx:1.1", "redis:7"}}}
	res, err := Render(t.Context(), Request{AppName: "web", Root: root, Source: src, Namespace: "dest"})
	if err != nil {
		t.Fatal(err)
	}
	if got := containerImage(t, res.Objects); got != "nginx:1.27" {
		t.Errorf("image = %q, want the override file's nginx:1.27", got)
	}
	if res.Objects[0].GetName() != "shared-web" {
		t.Errorf("name = %q, want the prefix of .argocd-source.yaml", res.Objects[0].GetName())
	}
	// Without the app's file the spec's image holds.
	res, err = Render(t.Context(), Request{AppName: "api", Root: root, Source: src, Namespace: "dest"})
	if err != nil {
		t.Fatal(err)
	}
	if got := containerImage(t, res.Objects); got != "nginx:1.1" {
		t.Errorf("another app's image = %q, want the spec's nginx:1.1", got)
	}
	// The file cannot move the source.
	res, err = Render(t.Context(), Request{AppName: "web", Root: root, Source: v1alpha1.ApplicationSource{Path: "k2"}, Namespace: "dest"})
	if err != nil {
		t.Fatal(err)
	}
	if got := containerImage(t, res.Objects); got != "nginx:1.28" {
		t.Errorf("image = %q, want nginx:1.28 from k2", got)
	}
}

func TestOverrideFileHelmMergesParameters(t *testing.T) {
	root := writeTree(t, map[string]string{
		"chart/Chart.yaml":  "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"chart/values.yaml": "image:\n  name: nginx\n  tag: \"1.0\"\nreplicas: 1\n",
		"chart/templates/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {{ .Values.replicas }}
  template:
    spec:
      containers:
      - name: web
        image: {{ .Values.image.name }}:{{ .Values.image.tag }}
`,
		"chart/.argocd-source-web.yaml": "helm:\n  parameters:\n  - name: image.tag\n    value: \"1.27\"\n    forcestring: true\n",
	})
	src := v1alpha1.ApplicationSource{Path: "chart", Helm: &v1alpha1.ApplicationSourceHelm{Parameters: []v1alpha1.HelmParameter{{Name: "replicas", Value: "3"}, {Name: "image.tag", Value: "1.1"}}}}
	res, err := Render(t.Context(), Request{AppName: "web", Root: root, Source: src, Namespace: "dest"})
	if err != nil {
		t.Fatal(err)
	}
	if got := containerImage(t, res.Objects); got != "nginx:1.27" {
		t.Errorf("image = %q, want nginx:1.27 from the override file", got)
	}
	if r, _, _ := unstructured.NestedInt64(res.Objects[0].Object, "spec", "replicas"); r != 3 {
		t.Errorf("replicas = %d, want the spec's parameter 3 kept", r)
	}
}

func TestOverrideFileErrorNamesTheFile(t *testing.T) {
	root := writeTree(t, map[string]string{"d/cm.yaml": configMap, "d/.argocd-source-web.yaml": "helm: [\n"})
	_, err := Render(t.Context(), Request{AppName: "web", Root: root, Source: v1alpha1.ApplicationSource{Path: "d"}, Namespace: "dest"})
	if err == nil || !strings.Contains(err.Error(), "d/.argocd-source-web.yaml") {
		t.Errorf("err = %v, want one naming the override file", err)
	}
}
