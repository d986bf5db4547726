package render

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func obj(apiVersion, kind, namespace string) *unstructured.Unstructured {
	o := &unstructured.Unstructured{}
	o.SetAPIVersion(apiVersion)
	o.SetKind(kind)
	o.SetName("x")
	if namespace != "" {
		o.SetNamespace(namespace)
	}
	return o
}

func crd(group, kind, scope string) *unstructured.Unstructured {
	o := obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "")
	o.Object["spec"] = map[string]any{
		"group": group,
		"names": map[string]any{"kind": kind},
		"scope": scope,
	}
	return o
}

func TestDefaultNamespaces(t *testing.T) {
	clusterSays := func(gvk schema.GroupVersionKind) (bool, bool) {
		if gvk.Kind == "Widget" {
			return false, true
		}
		return false, false
	}
	tests := []struct {
		name  string
		objs  []*unstructured.Unstructured
		scope ScopeFunc
		// want is the namespace of each object afterwards.
		want []string
	}{
		{
			name: "built-in namespaced kinds get the destination",
			objs: []*unstructured.Unstructured{obj("apps/v1", "Deployment", ""), obj("v1", "Service", ""), obj("batch/v1", "CronJob", "")},
			want: []string{"dest", "dest", "dest"},
		},
		{
			name: "a namespace written stays",
			objs: []*unstructured.Unstructured{obj("v1", "ConfigMap", "other")},
			want: []string{"other"},
		},
		{
			name: "cluster-scoped kinds never get one and keep none",
			objs: []*unstructured.Unstructured{
				obj("v1", "Namespace", ""), obj("rbac.authorization.k8s.io/v1", "ClusterRole", "x"),
				obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", ""), obj("v1", "PersistentVolume", ""),
				obj("storage.k8s.io/v1", "StorageClass", ""), obj("scheduling.k8s.io/v1", "PriorityClass", ""),
				obj("networking.k8s.io/v1", "IngressClass", ""), obj("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", ""),
				obj("apiregistration.k8s.io/v1", "APIService", ""), obj("node.k8s.io/v1", "RuntimeClass", ""),
				obj("storage.k8s.io/v1", "CSIDriver", ""), obj("v1", "Node", ""),
			},
			want: []string{"", "", "", "", "", "", "", "", "", "", "", ""},
		},
		{
			name: "rbac Role is namespaced, not confused with ClusterRole",
			objs: []*unstructured.Unstructured{obj("rbac.authorization.k8s.io/v1", "Role", "")},
			want: []string{"dest"},
		},
		{
			name: "unknown kinds are left as written",
			objs: []*unstructured.Unstructured{obj("example.com/v1", "Widget", ""), obj("example.com/v1", "Gadget", "mine")},
			want: []string{"", "mine"},
		},
		{
			name: "a kind named like a built-in in another group is unknown",
			objs: []*unstructured.Unstructured{obj("example.com/v1", "Namespace", "")},
			want: []string{""},
		},
		{
			name: "CRDs in the render define scope",
			objs: []*unstructured.Unstructured{
				crd("example.com", "Widget", "Namespaced"), crd("example.com", "Cluster", "Cluster"),
				obj("example.com/v1", "Widget", ""), obj("example.com/v2", "Cluster", "x"),
			},
			want: []string{"", "", "dest", ""},
		},
		{
			name:  "the caller's scope wins over CRDs in the render",
			objs:  []*unstructured.Unstructured{crd("example.com", "Widget", "Namespaced"), obj("example.com/v1", "Widget", "")},
			scope: clusterSays,
			want:  []string{"", ""},
		},
		{
			name:  "the built-in table answers what the caller's scope does not know",
			objs:  []*unstructured.Unstructured{obj("v1", "ConfigMap", "")},
			scope: clusterSays,
			want:  []string{"dest"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defaultNamespaces(tt.objs, "dest", scopeChain(tt.scope, crdScope(tt.objs), builtinScope))
			var got []string
			for _, o := range tt.objs {
				got = append(got, o.GetNamespace())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("namespaces (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultNamespacesWithoutDestination(t *testing.T) {
	o := obj("v1", "ConfigMap", "")
	defaultNamespaces([]*unstructured.Unstructured{o}, "", builtinScope)
	if _, found, _ := unstructured.NestedString(o.Object, "metadata", "namespace"); found {
		t.Errorf("an empty destination namespace was written: %v", o.Object["metadata"])
	}
}
