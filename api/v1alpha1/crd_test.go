package v1alpha1_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }

var (
	applicationsGVR    = v1alpha1.GroupVersion.WithResource("applications")
	appProjectsGVR     = v1alpha1.GroupVersion.WithResource("appprojects")
	applicationSetsGVR = v1alpha1.GroupVersion.WithResource("applicationsets")
)

func setup(t *testing.T) (context.Context, dynamic.Interface) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx, dynamic.NewForConfigOrDie(env.Config())
}

func ensureNamespace(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create namespace %s: %v", name, err)
	}
}

func manifest(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func decode(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	// Decode as the API machinery does, so numbers are int64 on both sides.
	data, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		t.Fatalf("decode manifest: %v", err)
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(data); err != nil {
		t.Fatalf("decode manifest: %v", err)
	}
	return obj
}

// roundTrip creates the manifest unchanged, reads it back, and compares every
// field the user wrote, both as generic JSON and through capstan's Go types.
func roundTrip[T any](t *testing.T, gvr schema.GroupVersionResource, file string) {
	ctx, client := setup(t)
	want := decode(t, manifest(t, file))
	// status is a subresource: written through the main resource it is
	// dropped, as the compatibility notes say, so it is not compared here.
	delete(want.Object, "status")
	ensureNamespace(ctx, t, want.GetNamespace())
	res := client.Resource(gvr).Namespace(want.GetNamespace())
	if _, err := res.Create(ctx, want, metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict}); err != nil {
		t.Fatalf("create %s %s: %v", want.GetKind(), want.GetName(), err)
	}
	t.Cleanup(func() {
		_ = res.Delete(context.Background(), want.GetName(), metav1.DeleteOptions{})
	})
	got, err := res.Get(ctx, want.GetName(), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get %s: %v", want.GetName(), err)
	}

	for _, field := range []string{"spec", "operation"} {
		if diff := cmp.Diff(want.Object[field], got.Object[field]); diff != "" {
			t.Errorf("%s changed on the way through the API server (-sent +read):\n%s", field, diff)
		}
	}
	if diff := cmp.Diff(want.GetAnnotations(), got.GetAnnotations()); diff != "" {
		t.Errorf("annotations changed (-sent +read):\n%s", diff)
	}
	if diff := cmp.Diff(want.GetLabels(), got.GetLabels()); diff != "" {
		t.Errorf("labels changed (-sent +read):\n%s", diff)
	}

	var typedWant, typedGot T
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(want.Object, &typedWant); err != nil {
		t.Fatalf("convert sent object: %v", err)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(got.Object, &typedGot); err != nil {
		t.Fatalf("convert read object: %v", err)
	}
	ignoreServerMeta := cmp.FilterPath(func(p cmp.Path) bool {
		s := p.String()
		return strings.HasPrefix(s, "ObjectMeta.") && s != "ObjectMeta.Name" && s != "ObjectMeta.Namespace" &&
			s != "ObjectMeta.Labels" && s != "ObjectMeta.Annotations"
	}, cmp.Ignore())
	if diff := cmp.Diff(typedWant, typedGot, ignoreServerMeta); diff != "" {
		t.Errorf("typed object changed (-sent +read):\n%s", diff)
	}
}

func TestManifestsRoundTripThroughTheAPIServer(t *testing.T) {
	tests := []struct {
		file string
		run  func(t *testing.T, gvr schema.GroupVersionResource, file string)
		gvr  schema.GroupVersionResource
	}{
		// The Application of the article our users follow, unchanged.
		{"application-guestbook.yaml", roundTrip[v1alpha1.Application], applicationsGVR},
		{"application-full.yaml", roundTrip[v1alpha1.Application], applicationsGVR},
		{"application-plugin.yaml", roundTrip[v1alpha1.Application], applicationsGVR},
		{"appproject-team.yaml", roundTrip[v1alpha1.AppProject], appProjectsGVR},
		{"applicationset-generators.yaml", roundTrip[v1alpha1.ApplicationSet], applicationSetsGVR},
		{"applicationset-cluster-addons.yaml", roundTrip[v1alpha1.ApplicationSet], applicationSetsGVR},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) { tt.run(t, tt.gvr, tt.file) })
	}
}

func TestSchemaViolationsAreRejected(t *testing.T) {
	tests := []struct {
		name      string
		mutate    func(obj map[string]any)
		wantField string
	}{
		{
			name: "retry limit is not a number",
			mutate: func(obj map[string]any) {
				sp := obj["spec"].(map[string]any)["syncPolicy"].(map[string]any)
				sp["retry"] = map[string]any{"limit": "x"}
			},
			wantField: "spec.syncPolicy.retry.limit",
		},
		{
			name: "destination missing",
			mutate: func(obj map[string]any) {
				delete(obj["spec"].(map[string]any), "destination")
			},
			wantField: "spec.destination",
		},
		{
			name: "syncOptions is not a list",
			mutate: func(obj map[string]any) {
				obj["spec"].(map[string]any)["syncPolicy"].(map[string]any)["syncOptions"] = "Validate=false"
			},
			wantField: "spec.syncPolicy.syncOptions",
		},
	}
	ctx, client := setup(t)
	ensureNamespace(ctx, t, "argocd")
	res := client.Resource(applicationsGVR).Namespace("argocd")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := decode(t, manifest(t, "application-guestbook.yaml"))
			obj.SetName("invalid")
			tt.mutate(obj.Object)
			_, err := res.Create(ctx, obj, metav1.CreateOptions{})
			if err == nil {
				_ = res.Delete(ctx, "invalid", metav1.DeleteOptions{})
				t.Fatal("the API server accepted an Application that breaks the schema")
			}
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("error = %v; want an Invalid error naming %s", err, tt.wantField)
			}
		})
	}
}

func TestDiscoveryServesShortNames(t *testing.T) {
	setup(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	list, err := cs.Discovery().ServerResourcesForGroupVersion(v1alpha1.GroupVersion.String())
	if err != nil {
		t.Fatalf("discovery of %s: %v", v1alpha1.GroupVersion, err)
	}
	want := map[string][]string{
		"applications":    {"app", "apps"},
		"appprojects":     {"appproj", "appprojs"},
		"applicationsets": {"appset", "appsets"},
	}
	got := map[string][]string{}
	for _, r := range list.APIResources {
		if !strings.Contains(r.Name, "/") {
			got[r.Name] = r.ShortNames
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resources and short names of %s (-want +got):\n%s", v1alpha1.GroupVersion, diff)
	}
}

func TestCRDsDeclareStatusAndColumns(t *testing.T) {
	ctx, _ := setup(t)
	crds := apiextensionsclient.NewForConfigOrDie(env.Config()).ApiextensionsV1().CustomResourceDefinitions()
	for _, name := range []string{"applications.argoproj.io", "appprojects.argoproj.io", "applicationsets.argoproj.io"} {
		crd, err := crds.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get CRD %s: %v", name, err)
		}
		if len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Subresources == nil || crd.Spec.Versions[0].Subresources.Status == nil {
			t.Errorf("CRD %s has no status subresource", name)
		}
	}
	app, err := crds.Get(ctx, "applications.argoproj.io", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get CRD: %v", err)
	}
	type column struct {
		Name, JSONPath string
		Priority       int32
	}
	var got []column
	for _, c := range app.Spec.Versions[0].AdditionalPrinterColumns {
		got = append(got, column{c.Name, c.JSONPath, c.Priority})
	}
	want := []column{
		{"Sync Status", ".status.sync.status", 0},
		{"Health Status", ".status.health.status", 0},
		{"Revision", ".status.sync.revision", 10},
		{"Project", ".spec.project", 10},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("printer columns of Application (-want +got):\n%s", diff)
	}
}
