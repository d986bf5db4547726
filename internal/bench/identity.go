package bench

import (
	"context"
	"fmt"
	"path/filepath"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// capstan runs as this ServiceAccount, so that the API server can tell its
// requests from everyone else's.
const serviceAccount = "capstan"

// verbSchemas are the FlowSchemas that attribute capstan's requests, in
// precedence order: the API server counts dispatched requests per
// FlowSchema, so one schema per verb gives capstan's requests by verb from
// the server's own metrics. Status writes come first so that they are
// counted apart from other patches, and Event writes (capstan records
// Events on Applications) apart from applies and namespace creations.
var verbSchemas = []struct {
	name      string
	verb      string // the label in reports
	verbs     []string
	resources []string
	groups    []string
}{
	{"bench-capstan-status", "status-write", []string{"patch", "update"}, []string{"applications/status"}, []string{"argoproj.io"}},
	{"bench-capstan-event", "event-write", []string{"create", "patch", "update"}, []string{"events"}, []string{"", "events.k8s.io"}},
	{"bench-capstan-get", "get", []string{"get"}, nil, nil},
	{"bench-capstan-list", "list", []string{"list"}, nil, nil},
	{"bench-capstan-watch", "watch", []string{"watch"}, nil, nil},
	{"bench-capstan-create", "create", []string{"create"}, nil, nil},
	{"bench-capstan-update", "update", []string{"update"}, nil, nil},
	{"bench-capstan-patch", "patch", []string{"patch"}, nil, nil},
	{"bench-capstan-delete", "delete", []string{"delete", "deletecollection"}, nil, nil},
	{"bench-capstan-other", "other", []string{"*"}, nil, nil},
}

// setUpIdentity creates capstan's ServiceAccount bound to cluster-admin,
// the FlowSchemas that attribute its requests, and a kubeconfig with a
// token for it; it returns the kubeconfig's path.
func (c *cluster) setUpIdentity(ctx context.Context, dir string) (string, error) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: serviceAccount, Namespace: controlNamespace}}
	if _, err := c.cs.CoreV1().ServiceAccounts(controlNamespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("create ServiceAccount %s/%s: %w", controlNamespace, serviceAccount, err)
	}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "capstan-bench"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: serviceAccount, Namespace: controlNamespace}},
	}
	if _, err := c.cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("create ClusterRoleBinding %s: %w", crb.Name, err)
	}
	if err := c.createFlowSchemas(ctx); err != nil {
		return "", err
	}
	return c.writeCapstanKubeconfig(ctx, filepath.Join(dir, "capstan.kubeconfig"))
}

// createFlowSchemas sends capstan's requests to the exempt priority level,
// so that attribution never throttles them, through one schema per verb.
func (c *cluster) createFlowSchemas(ctx context.Context) error {
	subject := flowcontrolv1.Subject{
		Kind:           flowcontrolv1.SubjectKindServiceAccount,
		ServiceAccount: &flowcontrolv1.ServiceAccountSubject{Name: serviceAccount, Namespace: controlNamespace},
	}
	for i, s := range verbSchemas {
		groups, resources := s.groups, s.resources
		if groups == nil {
			groups, resources = []string{"*"}, []string{"*"}
		}
		rule := flowcontrolv1.PolicyRulesWithSubjects{
			Subjects: []flowcontrolv1.Subject{subject},
			ResourceRules: []flowcontrolv1.ResourcePolicyRule{{
				Verbs: s.verbs, APIGroups: groups, Resources: resources,
				ClusterScope: true, Namespaces: []string{flowcontrolv1.NamespaceEvery},
			}},
		}
		if s.verb == "other" {
			rule.NonResourceRules = []flowcontrolv1.NonResourcePolicyRule{{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}}
		}
		fs := &flowcontrolv1.FlowSchema{
			ObjectMeta: metav1.ObjectMeta{Name: s.name},
			Spec: flowcontrolv1.FlowSchemaSpec{
				PriorityLevelConfiguration: flowcontrolv1.PriorityLevelConfigurationReference{Name: flowcontrolv1.PriorityLevelConfigurationNameExempt},
				// Below the mandatory exempt (1) and probes (2), above every default.
				MatchingPrecedence:  int32(10 + i),
				DistinguisherMethod: &flowcontrolv1.FlowDistinguisherMethod{Type: flowcontrolv1.FlowDistinguisherMethodByUserType},
				Rules:               []flowcontrolv1.PolicyRulesWithSubjects{rule},
			},
		}
		if _, err := c.cs.FlowcontrolV1().FlowSchemas().Create(ctx, fs, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create FlowSchema %s: %w", fs.Name, err)
		}
	}
	return nil
}

// writeCapstanKubeconfig asks for a token of capstan's ServiceAccount and
// writes a kubeconfig that uses it.
func (c *cluster) writeCapstanKubeconfig(ctx context.Context, path string) (string, error) {
	day := int64(24 * 3600)
	tr, err := c.cs.CoreV1().ServiceAccounts(controlNamespace).CreateToken(ctx, serviceAccount,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &day}}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("request a token for ServiceAccount %s/%s: %w", controlNamespace, serviceAccount, err)
	}
	const name = "capstan"
	kc := clientcmdapi.NewConfig()
	kc.Clusters[name] = &clientcmdapi.Cluster{Server: c.cfg.Host, CertificateAuthorityData: c.cfg.CAData}
	kc.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	kc.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name, Namespace: controlNamespace}
	kc.CurrentContext = name
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return "", fmt.Errorf("write capstan's kubeconfig %s: %w", path, err)
	}
	return path, nil
}
