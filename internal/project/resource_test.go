package project

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestPermitsKind(t *testing.T) {
	var (
		roleBinding = schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}
		clusterRole = schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}
		namespace   = schema.GroupKind{Kind: "Namespace"}
		quota       = schema.GroupKind{Kind: "ResourceQuota"}
		deployment  = schema.GroupKind{Group: "apps", Kind: "Deployment"}
	)
	gks := func(gk ...metav1.GroupKind) []metav1.GroupKind { return gk }
	crs := func(c ...v1alpha1.ClusterResourceRestrictionItem) []v1alpha1.ClusterResourceRestrictionItem { return c }
	for _, tt := range []struct {
		name       string
		spec       v1alpha1.AppProjectSpec
		kind       schema.GroupKind
		namespaced bool
		want       string
	}{
		{"no cluster whitelist denies cluster-scoped kinds", v1alpha1.AppProjectSpec{}, namespace, false,
			"cluster-scoped kind Namespace is not in clusterResourceWhitelist in project team"},
		{"cluster whitelist", v1alpha1.AppProjectSpec{ClusterResourceWhitelist: crs(v1alpha1.ClusterResourceRestrictionItem{Kind: "Namespace"})}, namespace, false, ""},
		{"cluster whitelist of another kind", v1alpha1.AppProjectSpec{ClusterResourceWhitelist: crs(v1alpha1.ClusterResourceRestrictionItem{Kind: "Namespace"})}, clusterRole, false,
			"cluster-scoped kind rbac.authorization.k8s.io/ClusterRole is not in clusterResourceWhitelist in project team"},
		{"cluster whitelist glob", v1alpha1.AppProjectSpec{ClusterResourceWhitelist: crs(v1alpha1.ClusterResourceRestrictionItem{Group: "rbac.*", Kind: "Cluster*"})}, clusterRole, false, ""},
		{"cluster blacklist beats whitelist", v1alpha1.AppProjectSpec{
			ClusterResourceWhitelist: crs(v1alpha1.ClusterResourceRestrictionItem{Group: "*", Kind: "*"}),
			ClusterResourceBlacklist: crs(v1alpha1.ClusterResourceRestrictionItem{Group: "rbac.authorization.k8s.io", Kind: "*"}),
		}, clusterRole, false, "cluster-scoped kind rbac.authorization.k8s.io/ClusterRole is in clusterResourceBlacklist in project team"},
		{"cluster lists do not apply to namespaced kinds", v1alpha1.AppProjectSpec{
			ClusterResourceBlacklist: crs(v1alpha1.ClusterResourceRestrictionItem{Group: "*", Kind: "*"}),
		}, roleBinding, true, ""},
		{"no namespace whitelist allows namespaced kinds", v1alpha1.AppProjectSpec{}, deployment, true, ""},
		{"empty namespace whitelist denies them all", v1alpha1.AppProjectSpec{NamespaceResourceWhitelist: []metav1.GroupKind{}}, deployment, true,
			"namespaced kind apps/Deployment is not in namespaceResourceWhitelist in project team"},
		{"namespace whitelist", v1alpha1.AppProjectSpec{NamespaceResourceWhitelist: gks(metav1.GroupKind{Group: "apps", Kind: "Deployment"})}, deployment, true, ""},
		{"namespace whitelist of another kind", v1alpha1.AppProjectSpec{NamespaceResourceWhitelist: gks(metav1.GroupKind{Group: "apps", Kind: "Deployment"})}, roleBinding, true,
			"namespaced kind rbac.authorization.k8s.io/RoleBinding is not in namespaceResourceWhitelist in project team"},
		{"group must match too", v1alpha1.AppProjectSpec{NamespaceResourceWhitelist: gks(metav1.GroupKind{Group: "", Kind: "Deployment"})}, deployment, true,
			"namespaced kind apps/Deployment is not in namespaceResourceWhitelist in project team"},
		{"namespace blacklist", v1alpha1.AppProjectSpec{NamespaceResourceBlacklist: gks(metav1.GroupKind{Kind: "ResourceQuota"})}, quota, true,
			"namespaced kind ResourceQuota is in namespaceResourceBlacklist in project team"},
		{"namespace blacklist beats whitelist", v1alpha1.AppProjectSpec{
			NamespaceResourceWhitelist: gks(metav1.GroupKind{Group: "*", Kind: "*"}),
			NamespaceResourceBlacklist: gks(metav1.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "Role*"}),
		}, roleBinding, true, "namespaced kind rbac.authorization.k8s.io/RoleBinding is in namespaceResourceBlacklist in project team"},
		{"namespace lists do not apply to cluster-scoped kinds", v1alpha1.AppProjectSpec{
			ClusterResourceWhitelist:   crs(v1alpha1.ClusterResourceRestrictionItem{Kind: "Namespace"}),
			NamespaceResourceBlacklist: gks(metav1.GroupKind{Group: "*", Kind: "*"}),
		}, namespace, false, ""},
		{"cluster whitelist by name", v1alpha1.AppProjectSpec{ClusterResourceWhitelist: crs(v1alpha1.ClusterResourceRestrictionItem{Kind: "Namespace", Name: "team-x-*"})}, namespace, false, ""},
		{"cluster whitelist by another name", v1alpha1.AppProjectSpec{ClusterResourceWhitelist: crs(v1alpha1.ClusterResourceRestrictionItem{Kind: "Namespace", Name: "team-y-*"})}, namespace, false,
			"cluster-scoped kind Namespace is not in clusterResourceWhitelist in project team"},
		{"cluster blacklist by name", v1alpha1.AppProjectSpec{
			ClusterResourceWhitelist: crs(v1alpha1.ClusterResourceRestrictionItem{Group: "*", Kind: "*"}),
			ClusterResourceBlacklist: crs(v1alpha1.ClusterResourceRestrictionItem{Kind: "Namespace", Name: "team-x-*"}),
		}, namespace, false, "cluster-scoped kind Namespace is in clusterResourceBlacklist in project team"},
		{"cluster blacklist by another name", v1alpha1.AppProjectSpec{
			ClusterResourceWhitelist: crs(v1alpha1.ClusterResourceRestrictionItem{Group: "*", Kind: "*"}),
			ClusterResourceBlacklist: crs(v1alpha1.ClusterResourceRestrictionItem{Kind: "Namespace", Name: "kube-*"}),
		}, namespace, false, ""},
		{"malformed name refuses", v1alpha1.AppProjectSpec{ClusterResourceWhitelist: crs(v1alpha1.ClusterResourceRestrictionItem{Kind: "Namespace", Name: "[team"})}, namespace, false,
			"clusterResourceWhitelist: invalid pattern \"[team\": syntax error in pattern in project team"},
		{"malformed pattern refuses", v1alpha1.AppProjectSpec{NamespaceResourceBlacklist: gks(metav1.GroupKind{Kind: "[Quota"})}, deployment, true,
			"namespaceResourceBlacklist: invalid pattern \"[Quota\": syntax error in pattern in project team"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := errText(PermitsKind(withSpec(tt.spec), tt.kind, "team-x-new", tt.namespaced))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("PermitsKind(%s team-x-new, namespaced=%v) (-want +got):\n%s", tt.kind, tt.namespaced, diff)
			}
		})
	}
}

func TestDefaultProjectAllowsEverything(t *testing.T) {
	p := DefaultProject()
	for _, err := range []error{
		PermitsSource(p, "https://github.com/anyone/anything"),
		PermitsDestination(p, dest("https://any", "any", "kube-system")),
		PermitsKind(p, schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}, "admin", false),
		PermitsKind(p, schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}, "admin", true),
	} {
		if err != nil {
			t.Errorf("the default project refused: %v", err)
		}
	}
}
