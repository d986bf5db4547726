package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func obj(t *testing.T, s string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(s), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestLocalDiffs(t *testing.T) {
	live := []resourceDiff{{
		Kind: "ConfigMap", Namespace: "web", Name: "same",
		LiveState: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"same","namespace":"web","uid":"1","annotations":{"argocd.argoproj.io/tracking-id":"x"}},"data":{"a":"1"}}`,
	}, {
		Group: "apps", Kind: "Deployment", Namespace: "web", Name: "ui",
		LiveState: `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"ui","namespace":"web"},"spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"c","image":"nginx:1","imagePullPolicy":"Always"}]}}}}`,
	}, {
		Kind: "Secret", Namespace: "web", Name: "gone",
		LiveState: `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"gone","namespace":"web"},"data":{"password":"aHVudGVyMg=="}}`,
	}, {
		Group: "batch", Kind: "Job", Namespace: "web", Name: "hook", Hook: true,
		LiveState: `{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"hook","namespace":"web"}}`,
	}}
	local := []*unstructured.Unstructured{
		// Same fields as live, no namespace: it takes the destination's.
		obj(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: same}\ndata: {a: \"1\"}"),
		obj(t, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ui, namespace: web}\nspec:\n  replicas: 2\n  template: {spec: {containers: [{name: c, image: 'nginx:1'}]}}"),
		obj(t, "apiVersion: v1\nkind: Service\nmetadata: {name: new, namespace: web}"),
	}
	diffs, err := localDiffs(local, live, "web")
	if err != nil {
		t.Fatal(err)
	}
	var headers []string
	for _, d := range diffs {
		headers = append(headers, d.header())
	}
	want := []string{
		"===== Secret web/gone ======",
		"===== Service web/new ======",
		"===== apps/Deployment web/ui ======",
	}
	if diff := cmp.Diff(want, headers); diff != "" {
		t.Fatalf("objects that differ (-want +got):\n%s", diff)
	}
	var out bytes.Buffer
	if err := printDiffs(&out, diffs); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"-  replicas: 1\n", "+  replicas: 2\n", "+kind: Service\n"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("diff lacks %q:\n%s", s, out.String())
		}
	}
	if strings.Contains(out.String(), "aHVudGVyMg==") || strings.Contains(out.String(), "imagePullPolicy") {
		t.Errorf("diff shows a secret value or a field the source does not set:\n%s", out.String())
	}
}

func TestServerDiffs(t *testing.T) {
	items := []resourceDiff{
		{Kind: "ConfigMap", Namespace: "n", Name: "same", Modified: false, TargetState: `{"a":1}`, LiveState: `{"a":1}`},
		{Kind: "ConfigMap", Namespace: "n", Name: "changed", Modified: true, TargetState: `{"data":{"a":"2"}}`, NormalizedLiveState: `{"data":{"a":"1"}}`, LiveState: `{"data":{"a":"1"},"x":1}`},
		{Kind: "ConfigMap", Namespace: "n", Name: "new", Modified: true, TargetState: `{"data":{"a":"2"}}`, LiveState: "null"},
	}
	diffs, err := serverDiffs(items)
	if err != nil {
		t.Fatal(err)
	}
	want := []objectDiff{
		{Kind: "ConfigMap", Namespace: "n", Name: "changed", Live: "data:\n  a: \"1\"\n", Target: "data:\n  a: \"2\"\n"},
		{Kind: "ConfigMap", Namespace: "n", Name: "new", Target: "data:\n  a: \"2\"\n"},
	}
	if diff := cmp.Diff(want, diffs); diff != "" {
		t.Errorf("diffs (-want +got):\n%s", diff)
	}
}
