package project

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func object(apiVersion, kind, namespace, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(namespace)
	u.SetName(name)
	return u
}

func crd(group, kind, scope string) *unstructured.Unstructured {
	u := object("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", kind+"s."+group)
	u.Object["spec"] = map[string]any{"group": group, "scope": scope, "names": map[string]any{"kind": kind}}
	return u
}

// clusterScope knows a few built-in kinds, as the cluster's discovery does.
func clusterScope(gvk schema.GroupVersionKind) (bool, bool) {
	switch gvk.Kind {
	case "ConfigMap", "RoleBinding", "Deployment":
		return true, true
	case "Namespace", "ClusterRole", "CustomResourceDefinition":
		return false, true
	}
	return false, false
}

func TestPermitsObjects(t *testing.T) {
	teamX := v1alpha1.AppProjectSpec{
		Destinations:             []v1alpha1.ApplicationDestination{dest(inCluster, "", "team-x-*")},
		ClusterResourceWhitelist: []v1alpha1.ClusterResourceRestrictionItem{{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}},
	}
	anyButSystem := v1alpha1.AppProjectSpec{
		Destinations: []v1alpha1.ApplicationDestination{dest("*", "", "*"), dest("*", "", "!kube-system")},
	}
	to := dest(inCluster, "in-cluster", "team-x-web")
	var (
		configMap = object("v1", "ConfigMap", "", "settings")
		escalate  = object("rbac.authorization.k8s.io/v1", "RoleBinding", "kube-system", "escalate")
	)
	for _, tt := range []struct {
		name string
		spec v1alpha1.AppProjectSpec
		objs []*unstructured.Unstructured
		want string
	}{
		{"object in the destination namespace", teamX, []*unstructured.Unstructured{configMap}, ""},
		{"object in another permitted namespace", teamX, []*unstructured.Unstructured{object("v1", "ConfigMap", "team-x-db", "settings")}, ""},
		{"object naming a namespace outside the project", teamX, []*unstructured.Unstructured{configMap, escalate},
			`RoleBinding kube-system/escalate is not permitted: destination {server "https://kubernetes.default.svc", name "in-cluster", namespace "kube-system"} does not match any of the allowed destinations in project team`},
		{"object in a denied namespace", anyButSystem, []*unstructured.Unstructured{configMap, escalate},
			`RoleBinding kube-system/escalate is not permitted: destination {server "https://kubernetes.default.svc", name "in-cluster", namespace "kube-system"} is denied by destination {server "*", namespace "!kube-system"} in project team`},
		{"object beside a denied namespace", anyButSystem, []*unstructured.Unstructured{configMap, object("v1", "ConfigMap", "kube-public", "x")}, ""},
		{"every violation counted", teamX, []*unstructured.Unstructured{escalate, object("v1", "ConfigMap", "default", "x"), object("v1", "Namespace", "", "kube-x")},
			`RoleBinding kube-system/escalate is not permitted: destination {server "https://kubernetes.default.svc", name "in-cluster", namespace "kube-system"} does not match any of the allowed destinations in project team (and 2 more objects not permitted)`},
		{"cluster-scoped kind outside the whitelist", teamX, []*unstructured.Unstructured{object("rbac.authorization.k8s.io/v1", "ClusterRole", "", "admin")},
			"ClusterRole admin is not permitted: cluster-scoped kind rbac.authorization.k8s.io/ClusterRole is not in clusterResourceWhitelist in project team"},
		{"cluster-scoped object's namespace is not its destination", v1alpha1.AppProjectSpec{
			Destinations:             teamX.Destinations,
			ClusterResourceWhitelist: []v1alpha1.ClusterResourceRestrictionItem{{Kind: "Namespace"}},
		}, []*unstructured.Unstructured{object("v1", "Namespace", "kube-system", "team-x-new")}, ""},
		{"cluster-scoped object outside the whitelisted names", v1alpha1.AppProjectSpec{
			Destinations:             teamX.Destinations,
			ClusterResourceWhitelist: []v1alpha1.ClusterResourceRestrictionItem{{Kind: "Namespace", Name: "team-x-*"}},
		}, []*unstructured.Unstructured{object("v1", "Namespace", "", "team-x-new"), object("v1", "Namespace", "", "kube-new")},
			"Namespace kube-new is not permitted: cluster-scoped kind Namespace is not in clusterResourceWhitelist in project team"},
		{"namespaced kind in the blacklist", v1alpha1.AppProjectSpec{
			Destinations:               teamX.Destinations,
			NamespaceResourceBlacklist: []metav1.GroupKind{{Group: "rbac.authorization.k8s.io", Kind: "*"}},
		}, []*unstructured.Unstructured{object("rbac.authorization.k8s.io/v1", "RoleBinding", "team-x-web", "b")},
			"RoleBinding team-x-web/b is not permitted: namespaced kind rbac.authorization.k8s.io/RoleBinding is in namespaceResourceBlacklist in project team"},
		{"custom resource namespaced by its CRD", teamX, []*unstructured.Unstructured{crd("acme.io", "Widget", "Namespaced"), object("acme.io/v1", "Widget", "team-x-web", "w")}, ""},
		{"custom resource namespaced by its CRD, outside the project", teamX, []*unstructured.Unstructured{crd("acme.io", "Widget", "Namespaced"), object("acme.io/v1", "Widget", "kube-system", "w")},
			`Widget kube-system/w is not permitted: destination {server "https://kubernetes.default.svc", name "in-cluster", namespace "kube-system"} does not match any of the allowed destinations in project team`},
		{"custom resource made cluster-scoped by its CRD", teamX, []*unstructured.Unstructured{crd("acme.io", "Widget", "Cluster"), object("acme.io/v1", "Widget", "team-x-web", "w")},
			"Widget w is not permitted: cluster-scoped kind acme.io/Widget is not in clusterResourceWhitelist in project team"},
		{"kind of unknown scope must pass as both", teamX, []*unstructured.Unstructured{object("acme.io/v1", "Gadget", "team-x-web", "g")},
			"Gadget team-x-web/g is not permitted: cluster-scoped kind acme.io/Gadget is not in clusterResourceWhitelist (the cluster does not know the kind's scope yet) in project team"},
		{"kind of unknown scope in a namespace outside the project", v1alpha1.AppProjectSpec{
			Destinations:             teamX.Destinations,
			ClusterResourceWhitelist: []v1alpha1.ClusterResourceRestrictionItem{{Group: "*", Kind: "*"}},
		}, []*unstructured.Unstructured{object("acme.io/v1", "Gadget", "kube-system", "g")},
			`Gadget kube-system/g is not permitted: destination {server "https://kubernetes.default.svc", name "in-cluster", namespace "kube-system"} does not match any of the allowed destinations in project team`},
		{"nothing to check", teamX, nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := errText(PermitsObjects(withSpec(tt.spec), to, tt.objs, clusterScope))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("PermitsObjects (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPermitsObjectsOnAnotherCluster(t *testing.T) {
	p := withSpec(v1alpha1.AppProjectSpec{Destinations: []v1alpha1.ApplicationDestination{
		dest("*", "", "*"), dest("!https://prod-*", "", "*"),
	}})
	objs := []*unstructured.Unstructured{object("v1", "ConfigMap", "team-x-web", "settings")}
	want := `ConfigMap team-x-web/settings is not permitted: destination {server "https://prod-eu", name "prod-eu", namespace "team-x-web"} is denied by destination {server "!https://prod-*", namespace "*"} in project team`
	got := errText(PermitsObjects(p, dest("https://prod-eu", "prod-eu", "apps"), objs, clusterScope))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PermitsObjects (-want +got):\n%s", diff)
	}
	if err := PermitsObjects(p, dest("https://dev", "dev", "apps"), objs, clusterScope); err != nil {
		t.Errorf("an object on a permitted cluster was refused: %v", err)
	}
}
