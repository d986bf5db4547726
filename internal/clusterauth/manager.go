// Package clusterauth gives capstan its credentials on a destination
// cluster: a ServiceAccount with rights there and a long-lived token for
// it, made by `cluster add`, and a new token in place of the old one for
// `cluster rotate-auth`.
package clusterauth

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"
	"k8s.io/client-go/kubernetes"
)

// DefaultServiceAccount is the ServiceAccount cluster add creates, named
// as Argo CD names it so that a cluster added by either is the same.
const DefaultServiceAccount = "argocd-manager"

// tokenWait bounds the wait for kube-controller-manager to fill a token
// Secret.
const tokenWait = time.Minute

// Manager says which ServiceAccount to create, and where it gets its
// rights: the whole cluster, or only Namespaces when some are named.
type Manager struct {
	ServiceAccount string
	// Namespace holds the ServiceAccount and its token Secret.
	Namespace  string
	Namespaces []string
}

// The names of the objects around the ServiceAccount: for argocd-manager,
// Argo CD's.
func (m Manager) role() string    { return m.ServiceAccount + "-role" }
func (m Manager) binding() string { return m.ServiceAccount + "-role-binding" }
func (m Manager) secret() string  { return m.ServiceAccount + "-long-lived-token" }

// managerRules are every right: on every resource, and, for a
// ClusterRole, on the API server's other URLs (/version, /healthz...).
func managerRules(cluster bool) []*rbacv1ac.PolicyRuleApplyConfiguration {
	rules := []*rbacv1ac.PolicyRuleApplyConfiguration{
		rbacv1ac.PolicyRule().WithAPIGroups("*").WithResources("*").WithVerbs("*"),
	}
	if cluster {
		rules = append(rules, rbacv1ac.PolicyRule().WithNonResourceURLs("*").WithVerbs("*"))
	}
	return rules
}

// Install applies the ServiceAccount, its rights and its token Secret in
// the cluster of cs, and returns the token once issued. Applying again
// changes nothing: cluster add may be run twice.
func (m Manager) Install(ctx context.Context, cs kubernetes.Interface) (string, error) {
	apply := metav1.ApplyOptions{FieldManager: "capstan", Force: true}
	if _, err := cs.CoreV1().ServiceAccounts(m.Namespace).Apply(ctx, corev1ac.ServiceAccount(m.ServiceAccount, m.Namespace), apply); err != nil {
		return "", fmt.Errorf("create ServiceAccount %s/%s: %w", m.Namespace, m.ServiceAccount, err)
	}
	subject := rbacv1ac.Subject().WithKind(rbacv1.ServiceAccountKind).WithName(m.ServiceAccount).WithNamespace(m.Namespace)
	if len(m.Namespaces) == 0 {
		role := rbacv1ac.ClusterRole(m.role()).WithRules(managerRules(true)...)
		if _, err := cs.RbacV1().ClusterRoles().Apply(ctx, role, apply); err != nil {
			return "", fmt.Errorf("create ClusterRole %s: %w", m.role(), err)
		}
		binding := rbacv1ac.ClusterRoleBinding(m.binding()).WithSubjects(subject).
			WithRoleRef(rbacv1ac.RoleRef().WithAPIGroup(rbacv1.GroupName).WithKind("ClusterRole").WithName(m.role()))
		if _, err := cs.RbacV1().ClusterRoleBindings().Apply(ctx, binding, apply); err != nil {
			return "", fmt.Errorf("create ClusterRoleBinding %s: %w", m.binding(), err)
		}
	}
	for _, ns := range m.Namespaces {
		role := rbacv1ac.Role(m.role(), ns).WithRules(managerRules(false)...)
		if _, err := cs.RbacV1().Roles(ns).Apply(ctx, role, apply); err != nil {
			return "", fmt.Errorf("create Role %s/%s: %w", ns, m.role(), err)
		}
		binding := rbacv1ac.RoleBinding(m.binding(), ns).WithSubjects(subject).
			WithRoleRef(rbacv1ac.RoleRef().WithAPIGroup(rbacv1.GroupName).WithKind("Role").WithName(m.role()))
		if _, err := cs.RbacV1().RoleBindings(ns).Apply(ctx, binding, apply); err != nil {
			return "", fmt.Errorf("create RoleBinding %s/%s: %w", ns, m.binding(), err)
		}
	}
	secret := corev1ac.Secret(m.secret(), m.Namespace).WithType(corev1.SecretTypeServiceAccountToken).
		WithAnnotations(map[string]string{corev1.ServiceAccountNameKey: m.ServiceAccount})
	if _, err := cs.CoreV1().Secrets(m.Namespace).Apply(ctx, secret, apply); err != nil {
		return "", fmt.Errorf("create Secret %s/%s: %w", m.Namespace, m.secret(), err)
	}
	return waitToken(ctx, cs, m.Namespace, m.secret())
}

// waitToken waits for the token controller to write the token into the
// Secret namespace/name.
func waitToken(ctx context.Context, cs kubernetes.Interface, namespace, name string) (string, error) {
	var token string
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, tokenWait, true, func(ctx context.Context) (bool, error) {
		s, err := cs.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		token = string(s.Data[corev1.ServiceAccountTokenKey])
		return token != "", nil
	})
	if err != nil {
		return "", fmt.Errorf("no token in Secret %s/%s after %v (does kube-controller-manager run its token controller?): %w", namespace, name, tokenWait, err)
	}
	return token, nil
}
