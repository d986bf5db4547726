package ui

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// shape is a tree drawn as text: "Kind/name sync health" per node, the
// children indented under their parent.
func shape(ns []*appNode, indent string) []string {
	var out []string
	for _, n := range ns {
		out = append(out, indent+n.Kind+"/"+n.Name+" "+n.Sync+" "+n.Health)
		out = append(out, shape(n.Children, indent+"  ")...)
	}
	return out
}

func TestLayoutTree(t *testing.T) {
	healthy := &v1alpha1.HealthStatus{Status: "Healthy"}
	deploy := v1alpha1.ResourceStatus{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "ns", Name: "web", Status: "Synced", Health: &v1alpha1.HealthStatus{Status: "Progressing"}}
	cm := v1alpha1.ResourceStatus{Version: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "conf", Status: "OutOfSync"}
	liveDeploy := treeNode{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "ns", Name: "web", UID: "d", Health: healthy}
	rs := treeNode{Group: "apps", Version: "v1", Kind: "ReplicaSet", Namespace: "ns", Name: "web-1", UID: "rs", ParentRefs: []treeRef{{UID: "d"}}, Health: healthy}
	pod := func(name string) treeNode {
		return treeNode{Version: "v1", Kind: "Pod", Namespace: "ns", Name: name, UID: name, ParentRefs: []treeRef{{UID: "rs"}}, Health: healthy,
			Info: []treeInfo{{Name: "Status Reason", Value: "Running"}}}
	}
	for _, tc := range []struct {
		name      string
		resources []v1alpha1.ResourceStatus
		nodes     []treeNode
		want      []string
	}{{
		name:      "deployment owns a replica set that owns pods, sorted by kind and name",
		resources: []v1alpha1.ResourceStatus{deploy, cm},
		nodes:     []treeNode{pod("web-1-b"), liveDeploy, rs, pod("web-1-a")},
		want: []string{
			"ConfigMap/conf OutOfSync ",
			"Deployment/web Synced Healthy",
			"  ReplicaSet/web-1  Healthy",
			"    Pod/web-1-a  Healthy",
			"    Pod/web-1-b  Healthy",
		},
	}, {
		name:      "a managed object missing from the cluster is still drawn",
		resources: []v1alpha1.ResourceStatus{{Version: "v1", Kind: "Secret", Namespace: "ns", Name: "gone", Status: "OutOfSync", Health: &v1alpha1.HealthStatus{Status: "Missing"}}},
		want:      []string{"Secret/gone OutOfSync Missing"},
	}, {
		name:      "an owned object whose owner is not in the tree is a root",
		resources: []v1alpha1.ResourceStatus{cm},
		nodes:     []treeNode{rs},
		want:      []string{"ConfigMap/conf OutOfSync ", "ReplicaSet/web-1  Healthy"},
	}, {
		name:      "an object listed twice in the status is drawn once",
		resources: []v1alpha1.ResourceStatus{cm, cm},
		want:      []string{"ConfigMap/conf OutOfSync "},
	}, {
		name:  "no resources, no tree",
		nodes: nil,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := shape(layoutTree(tc.resources, tc.nodes), "")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("tree (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLayoutTreeKeepsVersionAndInfo(t *testing.T) {
	roots := layoutTree(nil, []treeNode{{Version: "v1", Kind: "Pod", Namespace: "ns", Name: "p", UID: "p",
		Info: []treeInfo{{Name: "Status Reason", Value: "Running"}, {Name: "Containers", Value: "1/1"}, {Name: "Empty"}}}})
	want := []*appNode{{Key: "/Pod/ns/p", Version: "v1", Kind: "Pod", Namespace: "ns", Name: "p", UID: "p", Info: "Running · 1/1"}}
	if diff := cmp.Diff(want, roots); diff != "" {
		t.Errorf("node (-want +got):\n%s", diff)
	}
}

func TestParseResourceKey(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want []string
		ok   bool
	}{
		{key: "apps/Deployment/ns/web", want: []string{"apps", "Deployment", "ns", "web"}, ok: true},
		{key: "/ConfigMap/ns/conf", want: []string{"", "ConfigMap", "ns", "conf"}, ok: true},
		{key: "rbac.authorization.k8s.io/ClusterRole//admin", want: []string{"rbac.authorization.k8s.io", "ClusterRole", "", "admin"}, ok: true},
		{key: "apps/Deployment/ns", want: []string{"", "", "", ""}},
		{key: "apps//ns/web", want: []string{"", "", "", ""}},
		{key: "a/b/c/d/e", want: []string{"", "", "", ""}},
	} {
		g, k, ns, n, ok := parseResourceKey(tc.key)
		if diff := cmp.Diff(tc.want, []string{g, k, ns, n}); diff != "" || ok != tc.ok {
			t.Errorf("parseResourceKey(%q) ok=%v, want %v; (-want +got):\n%s", tc.key, ok, tc.ok, diff)
		}
	}
}
