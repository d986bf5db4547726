package apply

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }

func parse(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	data, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(data); err != nil {
		t.Fatal(err)
	}
	return obj
}

func setup(t *testing.T, namespace string) (context.Context, *Applier, kubernetes.Interface) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	a, err := New(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.EnsureNamespace(ctx, namespace, nil, nil, false); err != nil {
		t.Fatal(err)
	}
	return ctx, a, kubernetes.NewForConfigOrDie(env.Config())
}

const configMap = `
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: %s}
data: {color: blue}`

func cm(t *testing.T, ns string) *unstructured.Unstructured {
	return parse(t, strings.Replace(configMap, "%s", ns, 1))
}

func TestApplyIsServerSideAndIdempotent(t *testing.T) {
	ctx, a, cs := setup(t, "apply-idempotent")
	first, err := a.Apply(ctx, cm(t, "apply-idempotent"), Options{Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	second, err := a.Apply(ctx, cm(t, "apply-idempotent"), Options{Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	if first.GetResourceVersion() != second.GetResourceVersion() {
		t.Errorf("applying the same object again wrote it: resourceVersion %s → %s", first.GetResourceVersion(), second.GetResourceVersion())
	}
	live, err := cs.CoreV1().ConfigMaps("apply-idempotent").Get(ctx, "settings", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(live.ManagedFields) != 1 || live.ManagedFields[0].Manager != FieldManager || live.ManagedFields[0].Operation != metav1.ManagedFieldsOperationApply {
		t.Errorf("managed fields = %+v; want one Apply entry by %s", live.ManagedFields, FieldManager)
	}
}

func TestDryRunStoresNothing(t *testing.T) {
	ctx, a, cs := setup(t, "apply-dryrun")
	out, err := a.Apply(ctx, cm(t, "apply-dryrun"), Options{DryRun: true, Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	if out.GetUID() == "" {
		t.Errorf("dry run did not return the object as the server would store it: %v", out.Object["metadata"])
	}
	if _, err := cs.CoreV1().ConfigMaps("apply-dryrun").Get(ctx, "settings", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("dry run stored the object: err = %v", err)
	}
}

func TestValidateRejectsUnknownFieldsUnlessOff(t *testing.T) {
	ctx, a, cs := setup(t, "apply-validate")
	obj := cm(t, "apply-validate")
	obj.Object["colour"] = "red" // a typo of a field that does not exist
	_, err := a.Apply(ctx, obj, Options{Validate: true})
	if err == nil || !strings.Contains(err.Error(), "colour") || !strings.Contains(err.Error(), "ConfigMap apply-validate/settings") {
		t.Fatalf("Validate=true: err = %v; want an error naming the field and the object", err)
	}
	for _, color := range []string{"blue", "green"} { // create, then change
		obj.Object["data"] = map[string]any{"color": color}
		if _, err := a.Apply(ctx, obj, Options{Validate: false}); err != nil {
			t.Fatalf("Validate=false: %v", err)
		}
		live, err := cs.CoreV1().ConfigMaps("apply-validate").Get(ctx, "settings", metav1.GetOptions{})
		if err != nil || live.Data["color"] != color {
			t.Errorf("Validate=false did not apply color=%s: %v, %v", color, live.Data, err)
		}
	}
}

func TestReplaceWritesTheWholeObject(t *testing.T) {
	ctx, a, cs := setup(t, "apply-replace")
	obj := cm(t, "apply-replace")
	if _, err := a.Apply(ctx, obj, Options{Validate: true, Replace: true}); err != nil {
		t.Fatalf("replace of a missing object: %v", err)
	}
	// Another writer adds a key; a replace drops it, an apply would not.
	live, _ := cs.CoreV1().ConfigMaps("apply-replace").Get(ctx, "settings", metav1.GetOptions{})
	live.Data["extra"] = "x"
	if _, err := cs.CoreV1().ConfigMaps("apply-replace").Update(ctx, live, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(ctx, obj, Options{Validate: true, Replace: true}); err != nil {
		t.Fatal(err)
	}
	live, _ = cs.CoreV1().ConfigMaps("apply-replace").Get(ctx, "settings", metav1.GetOptions{})
	if _, ok := live.Data["extra"]; ok || live.Data["color"] != "blue" {
		t.Errorf("data after replace = %v; want only color=blue", live.Data)
	}
}

const job = `
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: apply-force}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: registry.invalid/migrate:%s}]`

func TestForceRecreatesOnImmutableChange(t *testing.T) {
	ctx, a, cs := setup(t, "apply-force")
	first, err := a.Apply(ctx, parse(t, strings.Replace(job, "%s", "1", 1)), Options{Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	changed := parse(t, strings.Replace(job, "%s", "2", 1))
	if _, err := a.Apply(ctx, changed, Options{Validate: true}); err == nil || !strings.Contains(err.Error(), "Job apply-force/migrate") {
		t.Fatalf("changing a Job's template without Force: err = %v; want the API server's refusal naming the Job", err)
	}
	second, err := a.Apply(ctx, changed, Options{Validate: true, Force: true})
	if err != nil {
		t.Fatalf("Force: %v", err)
	}
	if second.GetUID() == first.GetUID() {
		t.Error("Force did not re-create the Job")
	}
	live, err := cs.BatchV1().Jobs("apply-force").Get(ctx, "migrate", metav1.GetOptions{})
	if err != nil || live.Spec.Template.Spec.Containers[0].Image != "registry.invalid/migrate:2" {
		t.Errorf("live Job after Force: %v, %v", live, err)
	}
}

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: apply-delete}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: registry.invalid/web:1}]}`

func TestForegroundDeleteLeavesNoReplicaSets(t *testing.T) {
	ctx, a, cs := setup(t, "apply-delete")
	obj := parse(t, deployment)
	live, err := a.Apply(ctx, obj, Options{Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		rs, err := cs.AppsV1().ReplicaSets("apply-delete").List(ctx, metav1.ListOptions{})
		return err == nil && len(rs.Items) > 0, err
	})
	if err != nil {
		t.Fatalf("no ReplicaSet was created: %v", err)
	}
	if err := a.Delete(ctx, live, metav1.DeletePropagationForeground); err != nil {
		t.Fatal(err)
	}
	if err := a.WaitDeleted(ctx, live); err != nil {
		t.Fatal(err)
	}
	// Foreground: the Deployment is gone only after its dependents are.
	rs, err := cs.AppsV1().ReplicaSets("apply-delete").List(ctx, metav1.ListOptions{})
	if err != nil || len(rs.Items) != 0 {
		t.Errorf("ReplicaSets left after a foreground delete: %d, %v", len(rs.Items), err)
	}
	if err := a.Delete(ctx, live, metav1.DeletePropagationForeground); err != nil {
		t.Errorf("deleting a deleted object: %v", err)
	}
}

func TestEnsureNamespaceAppliesManagedMetadata(t *testing.T) {
	ctx, a, cs := setup(t, "apply-ns-plain")
	if err := a.EnsureNamespace(ctx, "apply-ns-meta", map[string]string{"team": "a"}, map[string]string{"owner": "ops"}, false); err != nil {
		t.Fatal(err)
	}
	ns, err := cs.CoreV1().Namespaces().Get(ctx, "apply-ns-meta", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ns.Labels["team"] != "a" || ns.Annotations["owner"] != "ops" {
		t.Errorf("namespace metadata = %v %v", ns.Labels, ns.Annotations)
	}
	before, err := cs.CoreV1().Namespaces().Get(ctx, "apply-ns-plain", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.EnsureNamespace(ctx, "apply-ns-plain", nil, nil, false); err != nil {
		t.Errorf("ensuring an existing namespace: %v", err)
	}
	after, err := cs.CoreV1().Namespaces().Get(ctx, "apply-ns-plain", metav1.GetOptions{})
	if err != nil || after.ResourceVersion != before.ResourceVersion {
		t.Errorf("ensuring an existing namespace changed it: resourceVersion %s → %s (%v)", before.ResourceVersion, after.ResourceVersion, err)
	}
}

// exampleCRD is the CRD of kind (its plural adds an s) in group
// example.com, version v1, of scope Namespaced or Cluster.
func exampleCRD(t *testing.T, kind, scope string) *unstructured.Unstructured {
	t.Helper()
	singular := strings.ToLower(kind)
	return parse(t, fmt.Sprintf(`
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: %[1]ss.example.com}
spec:
  group: example.com
  scope: %[3]s
  names: {plural: %[1]ss, singular: %[1]s, kind: %[2]s}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}`, singular, kind, scope))
}

func TestNewKindIsFoundAfterItsCRDIsCreated(t *testing.T) {
	ctx, a, _ := setup(t, "apply-crd")
	crd := exampleCRD(t, "Widget", "Namespaced")
	// Resolve discovery before the CRD exists, so the cached view is stale.
	if _, err := a.Mapping(parse(t, `{apiVersion: example.com/v1, kind: Widget}`).GroupVersionKind()); err == nil {
		t.Fatal("Widget resolved before its CRD exists")
	}
	knew := a.Discovery()
	if _, err := a.Apply(ctx, crd, Options{Validate: true}); err != nil {
		t.Fatal(err)
	}
	widget := parse(t, `{apiVersion: example.com/v1, kind: Widget, metadata: {name: w, namespace: apply-crd}, size: 3}`)
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := a.Apply(ctx, widget, Options{Validate: true})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("a Widget could not be applied after its CRD: %v", err)
	}
	if a.Discovery() == knew {
		t.Errorf("Discovery() = %q after a kind was learned, as before", knew)
	}
}

// A kind's mapping is kept between passes, but not across a refresh of
// discovery: a CRD made again with another scope is mapped anew once a
// kind discovery does not know refreshes it.
func TestMappingIsForgottenWhenDiscoveryIsRefreshed(t *testing.T) {
	ctx, a, _ := setup(t, "apply-mapping")
	crds := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	crd := func(scope string) *unstructured.Unstructured { return exampleCRD(t, "Gadget", scope) }
	gadget := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Gadget"}
	unknown := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Nothing"}
	// mappedAs refreshes discovery (through a kind it does not know), then
	// reports whether Gadget maps to scope.
	mappedAs := func(scope meta.RESTScopeName) func(context.Context) (bool, error) {
		return func(context.Context) (bool, error) {
			if _, err := a.Mapping(unknown); err == nil {
				return false, errors.New("a kind without a CRD was mapped")
			}
			m, err := a.Mapping(gadget)
			return err == nil && m.Scope.Name() == scope, nil
		}
	}
	if _, err := a.Apply(ctx, crd("Namespaced"), Options{Validate: true}); err != nil {
		t.Fatal(err)
	}
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, mappedAs(meta.RESTScopeNameNamespace)); err != nil {
		t.Fatalf("Gadget was not mapped as namespaced: %v", err)
	}
	if err := a.client.Resource(crds).Delete(ctx, "gadgets.example.com", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := a.client.Resource(crds).Get(ctx, "gadgets.example.com", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		t.Fatalf("the CRD was not deleted: %v", err)
	}
	if _, err := a.Apply(ctx, crd("Cluster"), Options{Validate: true}); err != nil {
		t.Fatal(err)
	}
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, mappedAs(meta.RESTScopeNameRoot)); err != nil {
		t.Fatalf("Gadget made again cluster-scoped is still mapped as before: %v", err)
	}
}

func TestApplyMetadataAnswersWithTheMetadataAlone(t *testing.T) {
	const ns = "apply-metadata"
	ctx, a, cs := setup(t, ns)
	obj := cm(t, ns)
	obj.SetLabels(map[string]string{"team": "web"})
	stored, owned, err := a.ApplyMetadata(ctx, obj, Options{Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	live, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if stored.GetAPIVersion() != "v1" || stored.GetKind() != "ConfigMap" || stored.GetNamespace() != ns || stored.GetName() != "settings" {
		t.Errorf("stored is %s %s %s/%s; want v1 ConfigMap %s/settings", stored.GetAPIVersion(), stored.GetKind(), stored.GetNamespace(), stored.GetName(), ns)
	}
	if stored.GetUID() != live.UID || stored.GetResourceVersion() != live.ResourceVersion || stored.GetLabels()["team"] != "web" {
		t.Errorf("stored metadata = %v; want uid %s, resourceVersion %s, label team=web", stored.Object["metadata"], live.UID, live.ResourceVersion)
	}
	if _, ok := stored.GetAnnotations()[v1alpha1.AnnotationCapstanApplied]; !ok {
		t.Errorf("stored annotations = %v; want capstan's stamp", stored.GetAnnotations())
	}
	if _, ok := stored.Object["data"]; ok || stored.GetManagedFields() != nil {
		t.Errorf("stored = %v; want its metadata without managed fields, and no body", stored.Object)
	}
	if want := OwnedFields(live.ManagedFields); owned == "" || owned != want {
		t.Errorf("owned = %q; want %q, the digest of capstan's apply on the live object", owned, want)
	}
	again, ownedAgain, err := a.ApplyMetadata(ctx, obj, Options{Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	if again.GetResourceVersion() != stored.GetResourceVersion() || ownedAgain != owned {
		t.Errorf("applying the same object again: resourceVersion %s → %s, owned %s → %s; want both unchanged",
			stored.GetResourceVersion(), again.GetResourceVersion(), owned, ownedAgain)
	}

	// The writes that are not a plain apply answer the same way.
	obj.Object["data"] = map[string]any{"color": "green"}
	obj.Object["colour"] = "red"
	if _, _, err := a.ApplyMetadata(ctx, obj, Options{Validate: true}); err == nil || !strings.Contains(err.Error(), "ConfigMap "+ns+"/settings") {
		t.Errorf("Validate=true with an unknown field: err = %v; want an error naming the object", err)
	}
	merged, _, err := a.ApplyMetadata(ctx, obj, Options{Validate: false})
	if err != nil {
		t.Fatalf("Validate=false with an unknown field: %v", err)
	}
	live, _ = cs.CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{})
	if live.Data["color"] != "green" || merged.GetResourceVersion() != live.ResourceVersion {
		t.Errorf("Validate=false: live data %v at %s, answered %s; want color=green at the version answered", live.Data, live.ResourceVersion, merged.GetResourceVersion())
	}
	delete(obj.Object, "colour")
	replaced, replacedOwned, err := a.ApplyMetadata(ctx, obj, Options{Validate: true, Replace: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := replaced.Object["data"]; ok || replaced.GetUID() != live.UID || replacedOwned != "" {
		t.Errorf("replace answered %v, owned %q; want the metadata alone, and nothing owned by an apply", replaced.Object, replacedOwned)
	}
}

func TestApplyMetadataRecreatesWithForce(t *testing.T) {
	const ns = "apply-metadata-force"
	ctx, a, cs := setup(t, ns)
	obj := cm(t, ns)
	obj.Object["immutable"] = true
	first, _, err := a.ApplyMetadata(ctx, obj, Options{Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	obj.Object["data"] = map[string]any{"color": "green"}
	if _, _, err := a.ApplyMetadata(ctx, obj, Options{Validate: true}); !apierrors.IsInvalid(err) {
		t.Fatalf("a change of an immutable ConfigMap without Force: err = %v; want it refused as invalid", err)
	}
	again, _, err := a.ApplyMetadata(ctx, obj, Options{Validate: true, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	live, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if live.Data["color"] != "green" || live.UID == first.GetUID() || again.GetUID() != live.UID {
		t.Errorf("Force: live %v uid %s (first %s), answered uid %s; want the object re-created with color=green and its uid answered",
			live.Data, live.UID, first.GetUID(), again.GetUID())
	}
	if _, ok := again.Object["data"]; ok {
		t.Errorf("Force answered %v; want the metadata alone", again.Object)
	}
}
