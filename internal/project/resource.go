package project

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// PermitsKind reports whether the project lets its Applications create an
// object of kind gk named name, namespaced or cluster-scoped. A
// cluster-scoped object must be in clusterResourceWhitelist (an empty one
// denies them all) and not in clusterResourceBlacklist. A namespaced kind
// must not be in namespaceResourceBlacklist and, when
// namespaceResourceWhitelist is set, must be in it (set but empty, it
// denies them all). Group, kind and the cluster lists' optional name are
// matched as file name globs.
func PermitsKind(p *v1alpha1.AppProject, gk schema.GroupKind, name string, namespaced bool) error {
	rule, err := kindRule(p, gk, name, namespaced)
	if err != nil {
		return &Violation{Project: p.Name, Rule: err.Error()}
	}
	if rule != "" {
		return &Violation{Project: p.Name, Rule: rule}
	}
	return nil
}

// kindRule is the reason the project refuses an object of kind gk named
// name, or "".
func kindRule(p *v1alpha1.AppProject, gk schema.GroupKind, name string, namespaced bool) (string, error) {
	allowName, denyName, scope := "clusterResourceWhitelist", "clusterResourceBlacklist", "cluster-scoped"
	allow, deny := p.Spec.ClusterResourceWhitelist, p.Spec.ClusterResourceBlacklist
	allowAll := false
	if namespaced {
		allowName, denyName, scope = "namespaceResourceWhitelist", "namespaceResourceBlacklist", "namespaced"
		allow, deny = entries(p.Spec.NamespaceResourceWhitelist), entries(p.Spec.NamespaceResourceBlacklist)
		allowAll = p.Spec.NamespaceResourceWhitelist == nil
	}
	what := fmt.Sprintf("%s kind %s", scope, kindName(gk))
	if !allowAll {
		in, err := inList(gk, name, allow, allowName)
		if err != nil {
			return "", err
		}
		if !in {
			return fmt.Sprintf("%s is not in %s", what, allowName), nil
		}
	}
	in, err := inList(gk, name, deny, denyName)
	if err != nil {
		return "", err
	}
	if in {
		return fmt.Sprintf("%s is in %s", what, denyName), nil
	}
	return "", nil
}

// inList reports whether an entry of list matches an object of kind gk
// named name; an entry without a name matches every name.
func inList(gk schema.GroupKind, name string, list []v1alpha1.ClusterResourceRestrictionItem, listName string) (bool, error) {
	for _, item := range list {
		pairs := [][2]string{{item.Group, gk.Group}, {item.Kind, gk.Kind}}
		if item.Name != "" {
			pairs = append(pairs, [2]string{item.Name, name})
		}
		matched := true
		for _, pair := range pairs {
			// Every pattern is matched, so that a malformed one is
			// reported whatever the others say.
			ok, err := matchName(pair[0], pair[1])
			if err != nil {
				return false, fmt.Errorf("%s: %w", listName, err)
			}
			matched = matched && ok
		}
		if matched {
			return true, nil
		}
	}
	return false, nil
}

// entries are the items of a namespaced resource list, which has no names.
func entries(list []metav1.GroupKind) []v1alpha1.ClusterResourceRestrictionItem {
	out := make([]v1alpha1.ClusterResourceRestrictionItem, len(list))
	for i, gk := range list {
		out[i] = v1alpha1.ClusterResourceRestrictionItem{Group: gk.Group, Kind: gk.Kind}
	}
	return out
}

// kindName prints a kind as "group/Kind", or "Kind" in the core group.
func kindName(gk schema.GroupKind) string {
	if gk.Group == "" {
		return gk.Kind
	}
	return gk.Group + "/" + gk.Kind
}
