// Package project holds the rules of an AppProject: which repositories its
// Applications may read, which clusters and namespaces they may deploy to,
// which kinds of object they may create, and when they may sync (sync
// windows). The rules are pure functions
// over the AppProject, asked alike by the controller, the server and
// ApplicationSet, so that a project means the same thing everywhere.
package project

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Default is the project of an Application that names none. When no
// AppProject of that name exists, it allows everything.
const Default = "default"

// DefaultProject is the project that stands in for a missing "default"
// AppProject: any repository, any destination, any kind.
func DefaultProject() *v1alpha1.AppProject {
	p := &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Name: Default}}
	p.Spec = v1alpha1.AppProjectSpec{
		SourceRepos:              []string{"*"},
		Destinations:             []v1alpha1.ApplicationDestination{{Server: "*", Name: "*", Namespace: "*"}},
		ClusterResourceWhitelist: []v1alpha1.ClusterResourceRestrictionItem{{Group: "*", Kind: "*"}},
	}
	return p
}

// Violation is an object, or the Application itself, that a project's
// rules do not permit.
type Violation struct {
	// Project is the AppProject's name.
	Project string
	// Object names the offending object ("RoleBinding kube-system/admin"),
	// empty when the Application itself breaks the rule.
	Object string
	// Rule says which rule was broken and how.
	Rule string
	// More counts the other objects of the same check that broke a rule.
	More int
}

func (v *Violation) Error() string {
	msg := fmt.Sprintf("%s in project %s", v.Rule, v.Project)
	if v.Object != "" {
		msg = fmt.Sprintf("%s is not permitted: %s", v.Object, msg)
	}
	if v.More > 0 {
		msg += fmt.Sprintf(" (and %d more objects not permitted)", v.More)
	}
	return msg
}

// isDeny reports whether a pattern is a `!` exception.
func isDeny(pattern string) bool {
	return len(pattern) > 0 && pattern[0] == '!'
}
