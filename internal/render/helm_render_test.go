package render

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// TestHelmThroughRender renders the guestbook chart through Render, as the
// controller does: a directory with a Chart.yaml is a Helm source, its
// objects get the destination namespace, and the result says Helm.
func TestHelmThroughRender(t *testing.T) {
	root := testdataPath(t, "testdata/helm-guestbook/repo")
	res, err := Render(t.Context(), Request{
		AppName:   "guestbook",
		Namespace: "demo",
		Root:      root,
		Source:    v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/guestbook.git", Path: "."},
	})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if res.Type != v1alpha1.ApplicationSourceTypeHelm {
		t.Errorf("Type = %q, want Helm", res.Type)
	}
	got := map[string]string{}
	for _, o := range res.Objects {
		got[o.GetKind()+"/"+o.GetName()] = o.GetNamespace()
	}
	want := map[string]string{
		"CustomResourceDefinition/guestbooks.guestbook.example": "",
		"ConfigMap/guestbook-guestbook-config":                  "demo",
		"Service/guestbook-guestbook":                           "demo",
		"Deployment/guestbook-redis":                            "demo",
		"Deployment/guestbook-guestbook":                        "demo",
		"Pod/guestbook-guestbook-test-connection":               "demo",
		"Job/guestbook-guestbook-db-migrate":                    "demo",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects and namespaces (-want +got):\n%s", diff)
	}
}

// renderHelmAt renders the chart in dir, inside req.Root, as Render would.
func renderHelmAt(t *testing.T, req Request, dir string) ([]*unstructured.Unstructured, []string, error) {
	t.Helper()
	root, err := openTree(req.Root)
	if err != nil {
		return nil, nil, err
	}
	defer root.close()
	return renderHelm(t.Context(), req, root, dir)
}
