package hostile

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Item 1 of the issue: every rendered object is checked against its
// project's destinations and kind lists before anything is applied.

func configMap(name, namespace string, data map[string]string) string {
	s := fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n", name)
	if namespace != "" {
		s += "  namespace: " + namespace + "\n"
	}
	if len(data) > 0 {
		s += "data:\n"
		for _, k := range sortedKeys(data) {
			s += fmt.Sprintf("  %s: %q\n", k, data[k])
		}
	}
	return s
}

func roleBinding(name, namespace string) string {
	return fmt.Sprintf(`apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: %s
  namespace: %s
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: ServiceAccount, name: default, namespace: %s}
`, name, namespace, namespace)
}

func directory(url string) v1alpha1.ApplicationSource {
	return v1alpha1.ApplicationSource{RepoURL: url, TargetRevision: "HEAD", Path: "app"}
}

// Objects outside what the project allows fail the whole sync with a
// message naming the object, and neither they nor the allowed objects
// beside them are applied.
func TestObjectsOutsideTheProjectAreRefused(t *testing.T) {
	for _, c := range []refusal{{
		// A RoleBinding in kube-system, in a project allowed only its
		// own namespaces "team-x-rb-*".
		name: "team-x-rb",
		tree: tree{files: map[string]string{
			"app/a-configmap.yaml":   configMap("allowed", "", nil),
			"app/b-rolebinding.yaml": roleBinding("team-x-rb-escape", "kube-system"),
		}},
		cause: []string{"RoleBinding", "kube-system", "team-x-rb-escape"},
		forbid: []object{
			{&rbacv1.RoleBinding{}, "kube-system", "team-x-rb-escape"},
			{&corev1.ConfigMap{}, "team-x-rb-app", "allowed"},
		},
	}, {
		// A cluster-scoped kind the project does not list: its cluster
		// allow list is empty.
		name: "team-x-crb",
		tree: tree{files: map[string]string{
			"app/a-configmap.yaml": configMap("allowed", "", nil),
			"app/b-crb.yaml": `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: team-x-crb-escape}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: default, namespace: team-x-crb-app}]
`,
		}},
		cause: []string{"ClusterRoleBinding", "team-x-crb-escape", "not permitted"},
		forbid: []object{
			{&rbacv1.ClusterRoleBinding{}, "", "team-x-crb-escape"},
			{&corev1.ConfigMap{}, "team-x-crb-app", "allowed"},
		},
	}, {
		// A namespaced kind on the project's deny list.
		name: "team-x-deny",
		project: func(p *v1alpha1.AppProjectSpec) {
			p.NamespaceResourceBlacklist = []metav1.GroupKind{{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}}
		},
		tree: tree{files: map[string]string{
			"app/a-configmap.yaml":   configMap("allowed", "", nil),
			"app/b-rolebinding.yaml": roleBinding("denied", "team-x-deny-app"),
		}},
		cause: []string{"RoleBinding", "denied", "not permitted"},
		forbid: []object{
			{&rbacv1.RoleBinding{}, "team-x-deny-app", "denied"},
			{&corev1.ConfigMap{}, "team-x-deny-app", "allowed"},
		},
	}} {
		t.Run(c.name, c.run)
	}
}

// A `!`-negated destination takes a namespace out of the project: an
// Application deploying there is refused, and so is an object of another
// Application that names that namespace itself.
func TestNegatedDestinationIsRefused(t *testing.T) {
	a := newAttack(t, "team-x-neg")
	a.project(func(p *v1alpha1.AppProjectSpec) {
		p.Destinations = append(p.Destinations, v1alpha1.ApplicationDestination{Server: inCluster, Namespace: "!team-x-neg-secret"})
	})
	a.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-x-neg-secret"}})
	r := newRepo(t, suite.public, "repo")
	r.commit(t, tree{files: map[string]string{
		"app/configmap.yaml":  configMap("by-destination", "", nil),
		"obj/configmap.yaml":  configMap("by-object", "team-x-neg-secret", nil),
		"obj/configmap2.yaml": configMap("allowed", "", nil),
	}})
	a.forbid(&corev1.ConfigMap{}, "team-x-neg-secret", "by-destination")
	a.forbid(&corev1.ConfigMap{}, "team-x-neg-secret", "by-object")
	a.forbid(&corev1.ConfigMap{}, a.namespace(), "allowed")
	a.app("team-x-neg-dest", directory(r.url), func(app *v1alpha1.Application) {
		app.Spec.Destination.Namespace = "team-x-neg-secret"
	})
	a.app("team-x-neg-obj", v1alpha1.ApplicationSource{RepoURL: r.url, TargetRevision: "HEAD", Path: "obj"}, nil)
	a.waitCause("team-x-neg-dest", "team-x-neg-secret")
	a.waitCause("team-x-neg-obj", "ConfigMap", "team-x-neg-secret", "by-object")
	a.survived()
}
