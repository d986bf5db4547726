package install

import (
	"fmt"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

// controlPlane is the namespace the chart is installed into.
const controlPlane = "argocd"

// releaseName names the chart's release, and so its objects.
const releaseName = "capstan"

// helmConfig is the Helm SDK's view of the test cluster, as `helm` with
// the cluster's kubeconfig and `-n argocd`.
func helmConfig(t *testing.T) *action.Configuration { return helmConfigIn(t, controlPlane) }

// helmConfigIn is helmConfig for `-n namespace`.
func helmConfigIn(t *testing.T, namespace string) *action.Configuration {
	t.Helper()
	flags := genericclioptions.NewConfigFlags(false)
	kubeconfig, ns := env.Cluster.Kubeconfig, namespace
	flags.KubeConfig, flags.Namespace = &kubeconfig, &ns
	cfg := &action.Configuration{}
	if err := cfg.Init(flags, namespace, "secret", t.Logf); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// helmInstall is `helm install capstan charts/capstan -n argocd
// --create-namespace` with values.
func helmInstall(t *testing.T, values map[string]any) *release.Release {
	t.Helper()
	inst := action.NewInstall(helmConfig(t))
	inst.ReleaseName, inst.Namespace, inst.CreateNamespace = releaseName, controlPlane, true
	rel, err := inst.RunWithContext(t.Context(), loadChart(t), values)
	if err != nil {
		t.Fatalf("helm install: %v", err)
	}
	return rel
}

// helmUpgrade is `helm upgrade capstan charts/capstan -n argocd` with values.
func helmUpgrade(t *testing.T, values map[string]any) *release.Release {
	t.Helper()
	up := action.NewUpgrade(helmConfig(t))
	up.Namespace = controlPlane
	rel, err := up.RunWithContext(t.Context(), releaseName, loadChart(t), values)
	if err != nil {
		t.Fatalf("helm upgrade: %v", err)
	}
	return rel
}

// checkReleaseObjects reads back every object of the release's manifest
// from the API server: each was accepted as rendered.
func checkReleaseObjects(t *testing.T, rel *release.Release) []string {
	t.Helper()
	cfg := env.Config()
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, doc := range releaseutil.SplitManifests(rel.Manifest) {
		var obj unstructured.Unstructured
		if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
			t.Fatal(err)
		}
		if len(obj.Object) == 0 {
			continue
		}
		gvk := obj.GroupVersionKind()
		m, err := mapper.RESTMapping(schema.GroupKind{Group: gvk.Group, Kind: gvk.Kind}, gvk.Version)
		if err != nil {
			t.Fatalf("%s: %v", gvk, err)
		}
		var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
		if m.Scope.Name() == "namespace" {
			ri = dyn.Resource(m.Resource).Namespace(obj.GetNamespace())
		}
		if _, err := ri.Get(t.Context(), obj.GetName(), metav1.GetOptions{}); err != nil {
			t.Errorf("%s %s/%s of the release: %v", gvk.Kind, obj.GetNamespace(), obj.GetName(), err)
		}
		seen = append(seen, gvk.Kind+"/"+obj.GetName())
	}
	return seen
}

// namespaceInstall is the namespace-scoped variant of the manifests.
func namespaceInstall() Variant {
	for _, v := range Variants {
		if v.File == "namespace-install.yaml" {
			return v
		}
	}
	panic("no namespace-install.yaml variant")
}

// chartValues turns YAML values files into Helm values, a later file's
// keys over an earlier's, as `-f a.yaml -f b.yaml` does.
func chartValues(t *testing.T, docs ...string) map[string]any {
	t.Helper()
	merged := map[string]any{}
	for _, doc := range docs {
		v := map[string]any{}
		if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatal(err)
		}
		merged = chartutil.CoalesceTables(v, merged)
	}
	return merged
}

func describe(objs []string) string {
	return fmt.Sprintf("%d objects: %s", len(objs), strings.Join(objs, ", "))
}
