package diff

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

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

const desiredDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: demo, labels: {app: web}}
spec:
  replicas: 2
  template:
    metadata: {annotations: {build: "7"}}
    spec:
      containers:
      - {name: web, image: "web:1", ports: [{containerPort: 80}]}
      - {name: sidecar, image: "proxy:1"}`

func TestCompare(t *testing.T) {
	tests := []struct {
		name      string
		live      string
		rules     []v1alpha1.ResourceIgnoreDifferences
		wantPaths []string
	}{
		{
			name: "only server metadata and status differ",
			live: desiredDeployment + `
status: {replicas: 2}`,
		},
		{
			name:      "replicas changed",
			live:      `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: demo, labels: {app: web}}, spec: {replicas: 3, template: {metadata: {annotations: {build: "7"}}, spec: {containers: [{name: web, image: "web:1", ports: [{containerPort: 80}]}, {name: sidecar, image: "proxy:1"}]}}}}`,
			wantPaths: []string{".spec.replicas"},
		},
		{
			name:  "replicas ignored by JSON pointer",
			live:  `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: demo, labels: {app: web}}, spec: {replicas: 3, template: {metadata: {annotations: {build: "7"}}, spec: {containers: [{name: web, image: "web:1", ports: [{containerPort: 80}]}, {name: sidecar, image: "proxy:1"}]}}}}`,
			rules: []v1alpha1.ResourceIgnoreDifferences{{Group: "apps", Kind: "Deployment", JSONPointers: []string{"/spec/replicas"}}},
		},
		{
			name:      "rule for another name does not apply",
			live:      `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: demo, labels: {app: web}}, spec: {replicas: 3, template: {metadata: {annotations: {build: "7"}}, spec: {containers: [{name: web, image: "web:1", ports: [{containerPort: 80}]}, {name: sidecar, image: "proxy:1"}]}}}}`,
			rules:     []v1alpha1.ResourceIgnoreDifferences{{Group: "apps", Kind: "Deployment", Name: "api", JSONPointers: []string{"/spec/replicas"}}},
			wantPaths: []string{".spec.replicas"},
		},
		{
			name:  "sidecar image ignored by jq with wildcard group and kind",
			live:  `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: demo, labels: {app: web}}, spec: {replicas: 2, template: {metadata: {annotations: {build: "7"}}, spec: {containers: [{name: web, image: "web:1", ports: [{containerPort: 80}]}, {name: sidecar, image: "proxy:2"}]}}}}`,
			rules: []v1alpha1.ResourceIgnoreDifferences{{Group: "*", Kind: "*", JQPathExpressions: []string{`.spec.template.spec.containers[] | select(.name == "sidecar") | .image`}}},
		},
		{
			name:  "pointer with escaped slash",
			live:  `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: demo, labels: {app: web}}, spec: {replicas: 2, template: {metadata: {annotations: {build: "8"}}, spec: {containers: [{name: web, image: "web:1", ports: [{containerPort: 80}]}, {name: sidecar, image: "proxy:1"}]}}}}`,
			rules: []v1alpha1.ResourceIgnoreDifferences{{Group: "apps", Kind: "Deployment", JSONPointers: []string{"/spec/template/metadata/annotations/build"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ign, err := NewIgnorer(tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			live := parse(t, tt.live)
			live.SetResourceVersion("42")
			live.SetUID("u-1")
			live.SetGeneration(3)
			got, err := Compare(t.Context(), parse(t, desiredDeployment), live, ign)
			if err != nil {
				t.Fatal(err)
			}
			if got.Modified != (len(tt.wantPaths) > 0) {
				t.Errorf("Modified = %v, paths %v", got.Modified, got.Paths)
			}
			if diff := cmp.Diff(tt.wantPaths, got.Paths); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompareMissingLive(t *testing.T) {
	got, err := Compare(t.Context(), parse(t, desiredDeployment), nil, nil)
	if err != nil || !got.Modified {
		t.Errorf("Compare with no live object = %+v, %v; want Modified", got, err)
	}
}

func TestManagedFieldsManagersAreIgnored(t *testing.T) {
	live := parse(t, `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: demo, labels: {app: web}}, spec: {replicas: 5, template: {metadata: {annotations: {build: "7"}}, spec: {containers: [{name: web, image: "web:1", ports: [{containerPort: 80}]}, {name: sidecar, image: "proxy:9"}]}}}}`)
	live.SetManagedFields([]metav1.ManagedFieldsEntry{
		{Manager: "capstan", Operation: metav1.ManagedFieldsOperationApply, FieldsType: "FieldsV1",
			FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{}}}}}}}`)}},
		{Manager: "autoscaler", Operation: metav1.ManagedFieldsOperationUpdate, FieldsType: "FieldsV1",
			FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:replicas":{}}}`)}},
		{Manager: "mesh-injector", Operation: metav1.ManagedFieldsOperationUpdate, FieldsType: "FieldsV1",
			FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"sidecar\"}":{"f:image":{}}}}}}}`)}},
	})
	ign, err := NewIgnorer([]v1alpha1.ResourceIgnoreDifferences{{Group: "apps", Kind: "Deployment", ManagedFieldsManagers: []string{"autoscaler", "mesh-injector"}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Compare(t.Context(), parse(t, desiredDeployment), live, ign)
	if err != nil {
		t.Fatal(err)
	}
	if got.Modified {
		t.Errorf("fields owned by ignored managers still differ: %v", got.Paths)
	}
	onlyAutoscaler, _ := NewIgnorer([]v1alpha1.ResourceIgnoreDifferences{{Group: "apps", Kind: "Deployment", ManagedFieldsManagers: []string{"autoscaler"}}})
	got, _ = Compare(t.Context(), parse(t, desiredDeployment), live, onlyAutoscaler)
	if diff := cmp.Diff([]string{".spec.template.spec.containers[1].image"}, got.Paths); diff != "" {
		t.Errorf("paths with only the autoscaler ignored (-want +got):\n%s", diff)
	}
}

func TestNewIgnorerRejectsBadRules(t *testing.T) {
	for _, r := range []v1alpha1.ResourceIgnoreDifferences{
		{Kind: "Deployment", JSONPointers: []string{"spec/replicas"}},
		{Kind: "Deployment", JQPathExpressions: []string{".spec[["}},
	} {
		if _, err := NewIgnorer([]v1alpha1.ResourceIgnoreDifferences{r}); err == nil {
			t.Errorf("rule %+v was accepted", r)
		}
	}
}

func TestMaskSecrets(t *testing.T) {
	desired := parse(t, `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {user: YWRtaW4=, password: c2VjcmV0}}`)
	live := parse(t, `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {kubectl.kubernetes.io/last-applied-configuration: "{\"data\":{\"password\":\"c2VjcmV0\"}}"}}, data: {user: YWRtaW4=, password: b2xk}}`)
	cm := parse(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {user: admin}}`)
	out := MaskSecrets(desired, live, cm)
	d, l := out[0].Object["data"].(map[string]any), out[1].Object["data"].(map[string]any)
	if d["user"] != l["user"] {
		t.Errorf("equal values masked differently: %v vs %v", d["user"], l["user"])
	}
	if d["password"] == l["password"] {
		t.Errorf("different values masked the same: %v", d["password"])
	}
	for _, obj := range out[:2] {
		data, _ := obj.MarshalJSON()
		for _, clear := range []string{"YWRtaW4=", "c2VjcmV0", "b2xk"} {
			if strings.Contains(string(data), clear) {
				t.Errorf("masked Secret still holds %s: %s", clear, data)
			}
		}
	}
	if out[2] != cm {
		t.Error("a ConfigMap was changed by masking")
	}
	if desired.Object["data"].(map[string]any)["password"] != "c2VjcmV0" {
		t.Error("masking changed the caller's object")
	}
}

// A desired object is whole when the comparison sees all of it.
func TestWhole(t *testing.T) {
	const head = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
	for _, tc := range []struct {
		name, rest string
		want       bool
	}{
		{"plain", "  labels: {a: b}\n  annotations: {note: x}\ndata: {v: '1'}", true},
		{"without labels or annotations", "data: {v: '1'}", true},
		{"a status", "status: {phase: Ready}", false},
		{"a Deployment's revision", "  annotations: {deployment.kubernetes.io/revision: '7'}", false},
		{"kubectl's copy", "  annotations: {kubectl.kubernetes.io/last-applied-configuration: '{}'}", false},
		{"capstan's stamp", "  annotations: {" + v1alpha1.AnnotationCapstanApplied + ": abc}", false},
		{"a generator's null creation time", "  creationTimestamp: null", true},
		{"a creation time", "  creationTimestamp: '2026-01-01T00:00:00Z'", false},
		{"a resourceVersion", "  resourceVersion: '5'", false},
		{"empty labels", "  labels: {}", false},
		{"empty annotations", "  annotations: {}", false},
		{"null annotations", "  annotations: null", false},
	} {
		if got := Whole(parse(t, head+tc.rest)); got != tc.want {
			t.Errorf("%s: Whole = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// An Ignorer applies to an object when one of its rules names its kind,
// and its name and namespace where the rule names them.
func TestIgnorerApplies(t *testing.T) {
	ign, err := NewIgnorer([]v1alpha1.ResourceIgnoreDifferences{
		{Group: "apps", Kind: "Deployment", Name: "web", JSONPointers: []string{"/spec/replicas"}},
		{Group: "*", Kind: "Canary", JSONPointers: []string{"/spec/weight"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, manifest string
		want           bool
	}{
		{"the Deployment named", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}", true},
		{"another Deployment", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: db, namespace: shop}", false},
		{"a kind of any group", "apiVersion: example.com/v1\nkind: Canary\nmetadata: {name: c, namespace: shop}", true},
		{"a kind no rule names", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web, namespace: shop}", false},
	} {
		if got := ign.Applies(parse(t, tc.manifest)); got != tc.want {
			t.Errorf("%s: Applies = %v, want %v", tc.name, got, tc.want)
		}
	}
	var none *Ignorer
	if none.Applies(parse(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}")) {
		t.Error("a nil Ignorer applies")
	}
}
