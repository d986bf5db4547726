package diff

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"

	"github.com/capstan-cd/capstan/internal/apply"
)

const ownedManifests = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: owned, labels: {app: web}, creationTimestamp: null}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.invalid/web:1
        ports: [{containerPort: 8080, name: http}]
        env: [{name: MODE, value: fast}, {name: LEVEL, value: "3"}]
        resources: {}
      - name: sidecar
        image: registry.invalid/sidecar:1
status: {}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: owned}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http, name: http}, {port: 53, protocol: UDP, name: dns}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: owned, annotations: {team: blue}}
data: {mode: fast, level: "3"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: owned}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get, list]}]
`

// TestOwnsAllTellsEditsFromStatus applies objects as capstan does, then
// lets other clients change them in the ways users do: every change of a
// field capstan applied takes it from capstan's apply, a status update or
// a field capstan does not set does not.
func TestOwnsAllTellsEditsFromStatus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := apply.New(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.EnsureNamespace(ctx, "owned", nil, nil, false); err != nil {
		t.Fatal(err)
	}
	dyn := dynamic.NewForConfigOrDie(env.Config())
	objs := parseAll(t, ownedManifests)
	res := map[string]dynamic.ResourceInterface{
		"Deployment": dyn.Resource(schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}).Namespace("owned"),
		"Service":    dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "services"}).Namespace("owned"),
		"ConfigMap":  dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}).Namespace("owned"),
		"Role":       dyn.Resource(schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"}).Namespace("owned"),
	}
	owned := func(obj *unstructured.Unstructured) bool {
		t.Helper()
		live, err := a.Get(ctx, obj)
		if err != nil {
			t.Fatal(err)
		}
		return OwnsAll(apply.Stamp(obj), live, apply.FieldManager)
	}
	applyAll := func() {
		t.Helper()
		for _, obj := range objs {
			if _, err := a.Apply(ctx, obj, apply.Options{Validate: true}); err != nil {
				t.Fatal(err)
			}
		}
	}
	applyAll()

	edits := []struct {
		name  string
		kind  string
		patch func(r dynamic.ResourceInterface, name string) error
		drift bool
	}{
		{"a label capstan does not set", "ConfigMap", mergePatch(`{"metadata":{"labels":{"extra":"yes"}}}`), false},
		{"a status update", "Deployment", statusPatch(`{"status":{"observedGeneration":1,"replicas":1}}`), false},
		{"the same values applied by another manager", "Service", otherApply(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"owned"},"spec":{"selector":{"app":"web"}}}`, false), false},
		{"a data value changed", "ConfigMap", mergePatch(`{"data":{"mode":"slow"}}`), true},
		{"a data key removed", "ConfigMap", jsonPatch(`[{"op":"remove","path":"/data/level"}]`), true},
		{"an annotation capstan sets changed", "ConfigMap", mergePatch(`{"metadata":{"annotations":{"team":"red"}}}`), true},
		{"capstan's digest rewritten", "ConfigMap", mergePatch(`{"metadata":{"annotations":{"capstan.dev/applied":"0"}}}`), true},
		{"scaled", "Deployment", scale(3), true},
		{"an image changed", "Deployment", strategicPatch(`{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"registry.invalid/sidecar:2"}]}}}}`), true},
		{"an env value removed", "Deployment", jsonPatch(`[{"op":"remove","path":"/spec/template/spec/containers/0/env/1"}]`), true},
		{"a field forced by another apply", "Service", otherApply(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"owned"},"spec":{"selector":{"app":"other"}}}`, true), true},
		{"a rule edited", "Role", jsonPatch(`[{"op":"add","path":"/rules/0/verbs/-","value":"watch"}]`), true},
		// Last: capstan's apply cannot add the old port back beside the new
		// one of the same name.
		{"a port's protocol-defaulted key changed", "Service", jsonPatch(`[{"op":"replace","path":"/spec/ports/0/port","value":81}]`), true},
	}
	for _, e := range edits {
		t.Run(e.name, func(t *testing.T) {
			applyAll()
			for _, obj := range objs {
				if !owned(obj) {
					t.Fatalf("right after an apply, capstan does not own all of %s %s", obj.GetKind(), obj.GetName())
				}
			}
			obj := objs[kindIndex(t, objs, e.kind)]
			if err := e.patch(res[e.kind], obj.GetName()); err != nil {
				t.Fatal(err)
			}
			if got := !owned(obj); got != e.drift {
				live, _ := a.Get(ctx, obj)
				t.Errorf("after %s, seen as drift = %v, want %v; managed fields: %+v", e.name, got, e.drift, live.GetManagedFields())
			}
		})
	}
}

func parseAll(t *testing.T, manifests string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, doc := range strings.Split(manifests, "\n---\n") {
		out = append(out, parse(t, doc))
	}
	return out
}

func kindIndex(t *testing.T, objs []*unstructured.Unstructured, kind string) int {
	t.Helper()
	for i, obj := range objs {
		if obj.GetKind() == kind {
			return i
		}
	}
	t.Fatalf("no %s", kind)
	return 0
}

func patchWith(pt types.PatchType, body string, sub ...string) func(dynamic.ResourceInterface, string) error {
	return func(r dynamic.ResourceInterface, name string) error {
		_, err := r.Patch(context.Background(), name, pt, []byte(body), metav1.PatchOptions{FieldManager: "kubectl-edit"}, sub...)
		return err
	}
}

func mergePatch(body string) func(dynamic.ResourceInterface, string) error {
	return patchWith(types.MergePatchType, body)
}

func jsonPatch(body string) func(dynamic.ResourceInterface, string) error {
	return patchWith(types.JSONPatchType, body)
}

func strategicPatch(body string) func(dynamic.ResourceInterface, string) error {
	return patchWith(types.StrategicMergePatchType, body)
}

func statusPatch(body string) func(dynamic.ResourceInterface, string) error {
	return patchWith(types.MergePatchType, body, "status")
}

func scale(replicas int) func(dynamic.ResourceInterface, string) error {
	return patchWith(types.MergePatchType, fmt.Sprintf(`{"spec":{"replicas":%d}}`, replicas), "scale")
}

func otherApply(body string, force bool) func(dynamic.ResourceInterface, string) error {
	return func(r dynamic.ResourceInterface, name string) error {
		_, err := r.Patch(context.Background(), name, types.ApplyPatchType, []byte(body), metav1.PatchOptions{FieldManager: "other", Force: &force})
		return err
	}
}

// TestOwnsAllOnSchemalessCustomResource changes a field of a custom
// resource whose schema preserves unknown fields: there capstan's apply
// keeps owning the map the field is in, with none of its fields, which
// managed fields write as they write an atomic map owned whole.
func TestOwnsAllOnSchemalessCustomResource(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dyn := dynamic.NewForConfigOrDie(env.Config())
	crd := parse(t, `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.owned.capstan.dev}
spec:
  group: owned.capstan.dev
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}`)
	crds := dyn.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	if _, err := crds.Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	a, err := apply.New(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.EnsureNamespace(ctx, "gadgets", nil, nil, false); err != nil {
		t.Fatal(err)
	}
	gadget := parse(t, `
apiVersion: owned.capstan.dev/v1
kind: Gadget
metadata: {name: g, namespace: gadgets}
spec: {size: 1}
status: {phase: Ready}`)
	if err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		_, err := a.Apply(ctx, gadget, apply.Options{})
		return err == nil, nil // until the new kind is served
	}); err != nil {
		t.Fatal(err)
	}
	owned := func() bool {
		t.Helper()
		live, err := a.Get(ctx, gadget)
		if err != nil {
			t.Fatal(err)
		}
		return OwnsAll(apply.Stamp(gadget), live, apply.FieldManager)
	}
	if !owned() {
		t.Fatal("right after an apply, capstan does not own all of the Gadget")
	}
	gadgets := dyn.Resource(schema.GroupVersionResource{Group: "owned.capstan.dev", Version: "v1", Resource: "gadgets"}).Namespace("gadgets")
	if err := mergePatch(`{"status":{"phase":"Broken"}}`)(gadgets, "g"); err != nil {
		t.Fatal(err)
	}
	if owned() {
		t.Error("after another client changed the Gadget's status, capstan is still seen owning all of it")
	}
}
