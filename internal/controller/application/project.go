package application

import (
	"fmt"
	"regexp"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/source"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// DefaultProject allows everything when no AppProject of that name exists.
const DefaultProject = "default"

// permitsSource reports whether the project lets Applications use repoURL.
func permitsSource(p *v1alpha1.AppProject, repoURL string) error {
	for _, pattern := range p.Spec.SourceRepos {
		// Patterns are matched as written and against the normalised URL
		// (case, a trailing .git or slash), without normalising the
		// pattern, whose wildcards normalisation would escape.
		if globMatch(pattern, repoURL) || globMatch(strings.TrimSuffix(strings.ToLower(pattern), ".git"), strings.ToLower(source.NormalizeURL(repoURL))) {
			return nil
		}
	}
	return fmt.Errorf("application repository %s is not permitted in project %s", source.RedactURL(repoURL), p.Name)
}

// permitsDestination reports whether the project lets Applications deploy
// to the destination, known by the resolved cluster's server and name (so a
// project listing a server admits an Application naming that cluster), and
// the namespace.
func permitsDestination(p *v1alpha1.AppProject, dest v1alpha1.ApplicationDestination, server, name string) error {
	for _, d := range p.Spec.Destinations {
		serverOK := d.Server != "" && globMatch(d.Server, server)
		nameOK := d.Name != "" && name != "" && globMatch(d.Name, name)
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
		return fmt.Errorf("%s resource %s is not permitted in project %s (%s)", scope, tracking.Describe(obj), p.Name, gk)
	}
	return nil
}

func kindMatch(k metav1.GroupKind, group, kind string) bool {
	return globMatch(k.Group, group) && globMatch(k.Kind, kind)
}

// globMatch matches project patterns as Argo CD does: "*" matches any run
// of characters, slashes included, and "?" one character.
func globMatch(pattern, s string) bool {
	if pattern == "*" || pattern == s {
		return true
	}
	var re strings.Builder
	re.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			re.WriteString(".*")
		case '?':
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	re.WriteString("$")
	ok, err := regexp.MatchString(re.String(), s)
	return err == nil && ok
}
