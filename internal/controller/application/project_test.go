package application

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestProjectRules(t *testing.T) {
	p := &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Name: "team"}, Spec: v1alpha1.AppProjectSpec{
		SourceRepos:                []string{"https://github.com/acme/*"},
		Destinations:               []v1alpha1.ApplicationDestination{{Server: "https://kubernetes.default.svc", Namespace: "team-*"}},
		ClusterResourceWhitelist:   []metav1.GroupKind{{Group: "", Kind: "Namespace"}},
		NamespaceResourceBlacklist: []metav1.GroupKind{{Group: "", Kind: "ResourceQuota"}},
	}}
	if err := permitsSource(p, "https://github.com/acme/org/apps.git"); err != nil {
		t.Errorf("a repository under the pattern was refused: %v", err)
	}
	if err := permitsSource(p, "https://github.com/other/apps.git"); err == nil {
		t.Error("a repository outside the pattern was allowed")
	}
	byName := v1alpha1.ApplicationDestination{Name: "in-cluster", Namespace: "team-a"}
	if err := permitsDestination(p, byName, "https://kubernetes.default.svc", "in-cluster"); err != nil {
		t.Errorf("a destination named for a listed server was refused: %v", err)
	}
	if err := permitsDestination(p, byName, "https://kubernetes.default.svc", "in-cluster"); err != nil {
		t.Error(err)
	}
	other := v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "kube-system"}
	if err := permitsDestination(p, other, "https://kubernetes.default.svc", "in-cluster"); err == nil {
		t.Error("a namespace outside the pattern was allowed")
	}
	obj := func(group, kind string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(group + "/v1")
		if group == "" {
			u.SetAPIVersion("v1")
		}
		u.SetKind(kind)
		u.SetName("x")
		return u
	}
	for _, tt := range []struct {
		group, kind string
		namespaced  bool
		want        bool
	}{
		{"", "Namespace", false, true},
		{"rbac.authorization.k8s.io", "ClusterRole", false, false},
		{"apps", "Deployment", true, true},
		{"", "ResourceQuota", true, false},
	} {
		err := permitsResource(p, obj(tt.group, tt.kind), tt.namespaced)
		if (err == nil) != tt.want {
			t.Errorf("%s/%s: err = %v, want allowed=%v", tt.group, tt.kind, err, tt.want)
		}
	}
}
