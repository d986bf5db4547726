package cli

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/capstan-cd/capstan/internal/cluster"
	"github.com/capstan-cd/capstan/internal/clusterauth"
)

// clusterAddOptions are the flags of cluster add.
type clusterAddOptions struct {
	name             string
	inCluster        bool
	namespaces       []string
	clusterResources bool
	systemNamespace  string
	serviceAccount   string
	project          string
	shard            int64
	labels           []string
	annotations      []string
	exec             execProviderConfig
	aws              awsAuthConfig
	upsert, yes      bool
}

func newClusterAddCommand(o *clientOptions) *cobra.Command {
	a := clusterAddOptions{}
	cmd := &cobra.Command{
		Use:   "add CONTEXT",
		Short: "Add the cluster of a kubeconfig context as a destination",
		Long: `Creates in the cluster of the kubeconfig context (--kubeconfig) a
ServiceAccount (argocd-manager in kube-system) with every right on the
cluster, or with --namespace on those namespaces only, and a long-lived
token for it; then registers the cluster with that token as a cluster
Secret, through the server (or the Kubernetes API with --core).

With --exec-command or --aws-cluster-name nothing is created in the
cluster: the cluster Secret says how to get credentials instead.`,
		Args: cobra.ExactArgs(1),
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, args []string) error {
			return a.run(cmd, c, o.kube.kubeconfig, args[0])
		}),
	}
	f := cmd.Flags()
	f.StringVar(&a.name, "name", "", "name of the cluster (default: the context's name)")
	f.BoolVar(&a.inCluster, "in-cluster", false, "register the cluster as https://kubernetes.default.svc: capstan runs in it")
	f.StringArrayVar(&a.namespaces, "namespace", nil, "manage this namespace only, with Roles instead of a ClusterRole (repeatable)")
	f.BoolVar(&a.clusterResources, "cluster-resources", false, "with --namespace, let capstan manage cluster-scoped resources too")
	f.StringVar(&a.systemNamespace, "system-namespace", "kube-system", "namespace of the ServiceAccount and its token")
	f.StringVar(&a.serviceAccount, "service-account", clusterauth.DefaultServiceAccount, "name of the ServiceAccount")
	f.StringVar(&a.project, "project", "", "project the cluster belongs to")
	f.Int64Var(&a.shard, "shard", -1, "controller shard of the cluster (default: computed from the cluster)")
	f.StringArrayVar(&a.labels, "label", nil, "a label KEY=VALUE of the cluster Secret (repeatable)")
	f.StringArrayVar(&a.annotations, "annotation", nil, "an annotation KEY=VALUE of the cluster Secret (repeatable)")
	a.exec.bindFlags(f)
	a.aws.bindFlags(f)
	f.BoolVar(&a.upsert, "upsert", false, "replace a cluster of the same server that differs")
	f.BoolVarP(&a.yes, "yes", "y", false, "do not ask before creating the ServiceAccount")
	return cmd
}

// run creates the ServiceAccount in the context's cluster and registers
// the cluster with its token; or, with an exec or AWS configuration,
// registers the cluster with that and creates nothing there.
func (a clusterAddOptions) run(cmd *cobra.Command, c *apiClient, kubeconfig, context string) error {
	if err := a.check(cmd); err != nil {
		return err
	}
	target, err := contextConfig(kubeconfig, context)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	token := ""
	if !a.exec.set() && !a.aws.set() {
		if token, err = a.install(cmd, target, context); err != nil || token == "" {
			return err
		}
	}
	req, err := a.request(context, target, token)
	if err != nil {
		return err
	}
	q := url.Values{}
	if a.upsert {
		q.Set("upsert", "true")
	}
	if err := c.do(ctx, http.MethodPost, "/api/v1/clusters", q, req, nil); err != nil {
		return fmt.Errorf("cluster add %s: %w", context, err)
	}
	_, _ = fmt.Fprintf(cmd.OutOrStdout(), "Cluster '%s' added\n", req.Server)
	return nil
}

// check refuses flags that contradict each other, rather than drop one,
// and labels or annotations that are not valid.
func (a clusterAddOptions) check(cmd *cobra.Command) error {
	if err := a.exec.check(cmd); err != nil {
		return err
	}
	if err := a.aws.check(cmd); err != nil {
		return err
	}
	if a.exec.set() && a.aws.set() {
		return fmt.Errorf("--exec-command and --aws-cluster-name are two ways to authenticate: give one")
	}
	// A label or annotation the server would refuse is refused before
	// the ServiceAccount is created, not after, leaving it behind.
	if _, err := keyValues("label", a.labels); err != nil {
		return err
	}
	if _, err := keyValues("annotation", a.annotations); err != nil {
		return err
	}
	if a.exec.set() || a.aws.set() {
		for _, f := range []string{"service-account", "system-namespace"} {
			if cmd.Flags().Changed(f) {
				return fmt.Errorf("--%s has no use with --exec-command or --aws-cluster-name: no ServiceAccount is created", f)
			}
		}
	}
	return nil
}

// install creates the ServiceAccount once the user agrees, and returns its
// token; no token and no error when the user does not agree.
func (a clusterAddOptions) install(cmd *cobra.Command, target *rest.Config, context string) (string, error) {
	if !a.yes {
		scope := "on the whole cluster"
		if len(a.namespaces) > 0 {
			scope = "on namespaces " + strings.Join(a.namespaces, ", ")
		}
		answer, err := newPrompter(cmd).ask(fmt.Sprintf("This creates the ServiceAccount %s/%s in the cluster of context %s, with every right %s. Continue? [y/N] ",
			a.systemNamespace, a.serviceAccount, context, scope), false)
		if err != nil {
			return "", err
		}
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			_, _ = fmt.Fprintln(cmd.OutOrStdout(), "Cluster not added")
			return "", nil
		}
	}
	cs, err := kubernetes.NewForConfig(target)
	if err != nil {
		return "", fmt.Errorf("cluster add %s: %w", context, err)
	}
	m := clusterauth.Manager{ServiceAccount: a.serviceAccount, Namespace: a.systemNamespace, Namespaces: a.namespaces}
	token, err := m.Install(cmd.Context(), cs)
	if err != nil {
		return "", fmt.Errorf("cluster add %s: %w", context, err)
	}
	return token, nil
}

// contextConfig reaches the cluster of a context of the kubeconfig (the
// flag, else $KUBECONFIG, else ~/.kube/config), its CA read into the
// configuration.
func contextConfig(kubeconfig, context string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	raw, err := rules.Load()
	if err != nil {
		return nil, fmt.Errorf("read the kubeconfig: %w", err)
	}
	if _, ok := raw.Contexts[context]; !ok {
		return nil, fmt.Errorf("context %s does not exist in the kubeconfig (%s)", context, strings.Join(rules.GetLoadingPrecedence(), ", "))
	}
	cfg, err := clientcmd.NewNonInteractiveClientConfig(*raw, context, &clientcmd.ConfigOverrides{}, rules).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("context %s: %w", context, err)
	}
	if err := rest.LoadTLSFiles(cfg); err != nil {
		return nil, fmt.Errorf("context %s: %w", context, err)
	}
	return cfg, nil
}

// request is the cluster the API registers: reached at the context's
// server (or in-cluster) with the ServiceAccount's token, or the exec or
// AWS configuration, and the context's CA.
func (a clusterAddOptions) request(context string, target *rest.Config, token string) (clusterRequest, error) {
	tls := map[string]any{}
	if target.Insecure {
		tls["insecure"] = true
	}
	if target.ServerName != "" {
		tls["serverName"] = target.ServerName
	}
	if len(target.CAData) > 0 {
		tls["caData"] = base64.StdEncoding.EncodeToString(target.CAData)
	}
	labels, err := keyValues("label", a.labels)
	if err != nil {
		return clusterRequest{}, err
	}
	annotations, err := keyValues("annotation", a.annotations)
	if err != nil {
		return clusterRequest{}, err
	}
	req := clusterRequest{
		Server:           strings.TrimRight(target.Host, "/"),
		Name:             a.name,
		Config:           map[string]any{"tlsClientConfig": tls},
		Namespaces:       a.namespaces,
		ClusterResources: a.clusterResources,
		Project:          a.project,
		Labels:           labels,
		Annotations:      annotations,
	}
	switch {
	case a.aws.set():
		req.Config["awsAuthConfig"] = a.aws
	case a.exec.set():
		req.Config["execProviderConfig"] = a.exec
	default:
		req.Config["bearerToken"] = token
	}
	if a.shard >= 0 {
		req.Shard = &a.shard
	}
	if a.inCluster {
		req.Server = cluster.InClusterServer
	}
	if req.Name == "" {
		req.Name = context
	}
	return req, nil
}
