package application

import (
	"fmt"
	"path"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/source"
)

// DefaultProject allows everything when no AppProject of that name exists.
const DefaultProject = "default"

// permitsSource reports whether the project lets Applications use repoURL.
func permitsSource(p *v1alpha1.AppProject, repoURL string) error {
	for _, pattern := range p.Spec.SourceRepos {
		if pattern == "*" || globMatch(source.NormalizeURL(pattern), source.NormalizeURL(repoURL)) {
			return nil
		}
	}
	return fmt.Errorf("application repository %s is not permitted in project %s", source.RedactURL(repoURL), p.Name)
}

// permitsDestination reports whether the project lets Applications deploy
// to the destination (server or name, and namespace).
func permitsDestination(p *v1alpha1.AppProject, dest v1alpha1.ApplicationDestination) error {
	for _, d := range p.Spec.Destinations {
		serverOK := d.Server != "" && dest.Server != "" && globMatch(d.Server, dest.Server)
		nameOK := d.Name != "" && dest.Name != "" && globMatch(d.Name, dest.Name)
		if (serverOK || nameOK) && globMatch(d.Namespace, dest.Namespace) {
			return nil
		}
	}
	where := dest.Server
	if where == "" {
		where = dest.Name
	}
	return fmt.Errorf("application destination server %q and namespace %q do not match any of the allowed destinations in project %s", where, dest.Namespace, p.Name)
}

// permitsResource applies the project's cluster and namespace resource
// allow and deny lists to one object. An empty cluster allow list denies
// every cluster-scoped kind, as in Argo CD; an empty namespace allow list
// allows every namespaced kind.
func permitsResource(p *v1alpha1.AppProject, obj *unstructured.Unstructured, namespaced bool) error {
	gk := obj.GroupVersionKind().GroupKind()
	allow, deny := p.Spec.NamespaceResourceWhitelist, p.Spec.NamespaceResourceBlacklist
	allowDefault := true
	scope := "namespaced"
	if !namespaced {
		allow, deny = p.Spec.ClusterResourceWhitelist, p.Spec.ClusterResourceBlacklist
		allowDefault = false
		scope = "cluster-scoped"
	}
	allowed := allowDefault && len(allow) == 0
	for _, a := range allow {
		if kindMatch(a, gk.Group, gk.Kind) {
			allowed = true
		}
	}
	for _, d := range deny {
		if kindMatch(d, gk.Group, gk.Kind) {
			allowed = false
		}
	}
	if !allowed {
		return fmt.Errorf("%s resource %s is not permitted in project %s (%s)", scope, describe(obj), p.Name, gk)
	}
	return nil
}

func kindMatch(k metav1.GroupKind, group, kind string) bool {
	return globMatch(k.Group, group) && globMatch(k.Kind, kind)
}

// globMatch matches shell-style globs, "*" matching anything including
// slashes, as Argo CD's project patterns do.
func globMatch(pattern, s string) bool {
	if pattern == "*" || pattern == s {
		return true
	}
	ok, err := path.Match(pattern, s)
	return err == nil && ok
}
