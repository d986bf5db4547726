package cli

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
	"k8s.io/client-go/rest"
)

// clusterManager is the ServiceAccount cluster add creates, named as
// Argo CD names it so that a cluster added by either is the same.
const clusterManager = "argocd-manager"

// tokenWait bounds the wait for kube-controller-manager to fill the
// token Secret.
const tokenWait = time.Minute

// clusterManagerSpec says which ServiceAccount to create, and where it
// gets its rights: the whole cluster, or only namespaces when some are
// named.
type clusterManagerSpec struct {
	serviceAccount string
	namespace      string
	namespaces     []string
}

// The names of the objects around the ServiceAccount: for argocd-manager,
// Argo CD's.
func (m clusterManagerSpec) role() string    { return m.serviceAccount + "-role" }
func (m clusterManagerSpec) binding() string { return m.serviceAccount + "-role-binding" }
func (m clusterManagerSpec) secret() string  { return m.serviceAccount + "-long-lived-token" }

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

// install applies the ServiceAccount, its rights and its token Secret in
// the cluster of cfg, and returns the token once issued. Applying again
// changes nothing: cluster add may be run twice.
func (m clusterManagerSpec) install(ctx context.Context, cfg *rest.Config) (string, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", err
	}
	apply := metav1.ApplyOptions{FieldManager: "capstan", Force: true}
	if _, err := cs.CoreV1().ServiceAccounts(m.namespace).Apply(ctx, corev1ac.ServiceAccount(m.serviceAccount, m.namespace), apply); err != nil {
		return "", fmt.Errorf("create ServiceAccount %s/%s: %w", m.namespace, m.serviceAccount, err)
	}
	subject := rbacv1ac.Subject().WithKind(rbacv1.ServiceAccountKind).WithName(m.serviceAccount).WithNamespace(m.namespace)
	if len(m.namespaces) == 0 {
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
	for _, ns := range m.namespaces {
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
	secret := corev1ac.Secret(m.secret(), m.namespace).WithType(corev1.SecretTypeServiceAccountToken).
		WithAnnotations(map[string]string{corev1.ServiceAccountNameKey: m.serviceAccount})
	if _, err := cs.CoreV1().Secrets(m.namespace).Apply(ctx, secret, apply); err != nil {
		return "", fmt.Errorf("create Secret %s/%s: %w", m.namespace, m.secret(), err)
	}
	return m.token(ctx, cs)
}

// token waits for the token controller to write the token into the
// Secret.
func (m clusterManagerSpec) token(ctx context.Context, cs kubernetes.Interface) (string, error) {
	var token string
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, tokenWait, true, func(ctx context.Context) (bool, error) {
		s, err := cs.CoreV1().Secrets(m.namespace).Get(ctx, m.secret(), metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		token = string(s.Data[corev1.ServiceAccountTokenKey])
		return token != "", nil
	})
	if err != nil {
		return "", fmt.Errorf("no token in Secret %s/%s after %v (does kube-controller-manager run its token controller?): %w", m.namespace, m.secret(), tokenWait, err)
	}
	return token, nil
}
