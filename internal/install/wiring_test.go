package install

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// TestOptionalObjectsSelectCapstan renders every optional object and checks
// that each one reaches what it is for: the Ingress the webhook Service and
// its port, the ServiceMonitor the metrics Service, the PodDisruptionBudget
// and the NetworkPolicy capstan's Pods. The API server accepts a selector
// that selects nothing; this test does not.
func TestOptionalObjectsSelectCapstan(t *testing.T) {
	values := map[string]any{
		"controller": map[string]any{
			"pdb":     map[string]any{"enabled": true},
			"metrics": map[string]any{"serviceMonitor": map[string]any{"enabled": true}},
		},
		"server": map[string]any{"ingress": map[string]any{"enabled": true}},
		"global": map[string]any{"networkPolicy": map[string]any{"create": true}},
	}
	objs := renderObjects(t, "argocd", values)
	get := objs.get(t)
	podLabels := labels.Set(toStrings(nested[map[string]any](t, get("Deployment/capstan"), "spec", "template", "metadata", "labels")))
	selects := func(what string, selector map[string]any, set labels.Set) {
		t.Helper()
		if len(selector) == 0 || !labels.SelectorFromSet(toStrings(selector)).Matches(set) {
			t.Errorf("%s selects %v, not %v", what, selector, set)
		}
	}
	selects("the PodDisruptionBudget", nested[map[string]any](t, get("PodDisruptionBudget/capstan"), "spec", "selector", "matchLabels"), podLabels)
	selects("the NetworkPolicy", nested[map[string]any](t, get("NetworkPolicy/capstan"), "spec", "podSelector", "matchLabels"), podLabels)
	selects("the webhook Service", nested[map[string]any](t, get("Service/capstan"), "spec", "selector"), podLabels)
	metrics := get("Service/capstan-metrics")
	selects("the ServiceMonitor", nested[map[string]any](t, get("ServiceMonitor/capstan"), "spec", "selector", "matchLabels"), labels.Set(metrics.GetLabels()))

	paths := nested[[]any](t, get("Ingress/capstan"), "spec", "rules")[0].(map[string]any)["http"].(map[string]any)["paths"].([]any)
	backend := paths[0].(map[string]any)["backend"].(map[string]any)["service"].(map[string]any)
	ports := nested[[]any](t, get("Service/capstan"), "spec", "ports")
	if backend["name"] != "capstan" || backend["port"].(map[string]any)["name"] != ports[0].(map[string]any)["name"] {
		t.Errorf("the Ingress leads to %v, not to Service capstan port %v", backend, ports[0])
	}
}

// configs.params."server.insecure", as in the argo-cd chart, serves the API
// over plain HTTP; by default it speaks HTTPS.
func TestServerInsecureParam(t *testing.T) {
	for _, insecure := range []bool{false, true} {
		values := map[string]any{}
		if insecure {
			values["configs"] = map[string]any{"params": map[string]any{"create": true, "server.insecure": true}}
		}
		objs := renderObjects(t, "argocd", values)
		container := nested[[]any](t, objs.get(t)("Deployment/capstan"), "spec", "template", "spec", "containers")[0].(map[string]any)
		has := false
		for _, a := range container["args"].([]any) {
			has = has || a == "--insecure"
		}
		if has != insecure {
			t.Errorf("server.insecure %v: --insecure in the arguments is %v", insecure, has)
		}
	}
}

// rendered are the chart's objects by kind/name.
type rendered map[string]*unstructured.Unstructured

// renderObjects renders the chart as release capstan in namespace.
func renderObjects(t *testing.T, namespace string, values map[string]any) rendered {
	t.Helper()
	out, err := Render(loadChart(t), Options{ReleaseName: "capstan", Namespace: namespace, Values: values})
	if err != nil {
		t.Fatal(err)
	}
	objs := rendered{}
	for _, doc := range strings.Split(out, "\n---\n") {
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
			t.Fatal(err)
		}
		if obj.Object != nil {
			objs[obj.GetKind()+"/"+obj.GetName()] = obj
		}
	}
	return objs
}

// get returns a lookup that fails the test when an object is missing.
func (r rendered) get(t *testing.T) func(key string) *unstructured.Unstructured {
	return func(key string) *unstructured.Unstructured {
		t.Helper()
		o, ok := r[key]
		if !ok {
			t.Fatalf("no %s rendered", key)
		}
		return o
	}
}

func nested[T any](t *testing.T, obj *unstructured.Unstructured, fields ...string) T {
	t.Helper()
	v, ok, err := unstructured.NestedFieldNoCopy(obj.Object, fields...)
	typed, isT := v.(T)
	if !ok || err != nil || !isT {
		t.Fatalf("%s %s: no %s (%v)", obj.GetKind(), obj.GetName(), strings.Join(fields, "."), err)
	}
	return typed
}

func toStrings(m map[string]any) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		s, _ := v.(string)
		out[k] = s
	}
	return out
}
