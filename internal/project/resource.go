package project

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// PermitsKind reports whether the project lets its Applications create
// objects of kind gk, namespaced or cluster-scoped. A cluster-scoped kind
// must be in clusterResourceWhitelist (an empty one denies them all) and
// not in clusterResourceBlacklist. A namespaced kind must not be in
// namespaceResourceBlacklist and, when namespaceResourceWhitelist is set,
// must be in it (set but empty, it denies them all). Group and kind are
// matched as file name globs.
func PermitsKind(p *v1alpha1.AppProject, gk schema.GroupKind, namespaced bool) error {
	rule, err := kindRule(p, gk, namespaced)
	if err != nil {
		return &Violation{Project: p.Name, Rule: err.Error()}
	}
	if rule != "" {
		return &Violation{Project: p.Name, Rule: rule}
	}
	return nil
}

// kindRule is the reason the project refuses kind gk, or "".
func kindRule(p *v1alpha1.AppProject, gk schema.GroupKind, namespaced bool) (string, error) {
	allowName, denyName, scope := "clusterResourceWhitelist", "clusterResourceBlacklist", "cluster-scoped"
	allow, deny := p.Spec.ClusterResourceWhitelist, p.Spec.ClusterResourceBlacklist
	allowAll := false
	if namespaced {
		allowName, denyName, scope = "namespaceResourceWhitelist", "namespaceResourceBlacklist", "namespaced"
		allow, deny = p.Spec.NamespaceResourceWhitelist, p.Spec.NamespaceResourceBlacklist
		allowAll = allow == nil
	}
	what := fmt.Sprintf("%s kind %s", scope, kindName(gk))
	if !allowAll {
		in, err := inList(gk, allow, allowName)
		if err != nil {
			return "", err
		}
		if !in {
			return fmt.Sprintf("%s is not in %s", what, allowName), nil
		}
	}
	in, err := inList(gk, deny, denyName)
	if err != nil {
		return "", err
	}
	if in {
		return fmt.Sprintf("%s is in %s", what, denyName), nil
	}
	return "", nil
}

func inList(gk schema.GroupKind, list []metav1.GroupKind, name string) (bool, error) {
	for _, item := range list {
		kind, err := matchName(item.Kind, gk.Kind)
		if err != nil {
			return false, fmt.Errorf("%s: %w", name, err)
		}
		group, err := matchName(item.Group, gk.Group)
		if err != nil {
			return false, fmt.Errorf("%s: %w", name, err)
		}
		if kind && group {
			return true, nil
		}
	}
	return false, nil
}

// kindName prints a kind as "group/Kind", or "Kind" in the core group.
func kindName(gk schema.GroupKind) string {
	if gk.Group == "" {
		return gk.Kind
	}
	return gk.Group + "/" + gk.Kind
}
