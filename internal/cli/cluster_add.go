package cli

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/capstan-cd/capstan/internal/cluster"
)

// clusterRequest is a cluster as POST /api/v1/clusters takes it,
// credentials included, in Argo CD's JSON shape.
type clusterRequest struct {
	Server           string         `json:"server"`
	Name             string         `json:"name"`
	Config           map[string]any `json:"config"`
	Namespaces       []string       `json:"namespaces,omitempty"`
	ClusterResources bool           `json:"clusterResources,omitempty"`
	Project          string         `json:"project,omitempty"`
}

// clusterAddOptions are the flags of cluster add.
type clusterAddOptions struct {
	name             string
	inCluster        bool
	namespaces       []string
	clusterResources bool
	systemNamespace  string
	serviceAccount   string
	project          string
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
Secret, through the server (or the Kubernetes API with --core).`,
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
	f.StringVar(&a.serviceAccount, "service-account", clusterManager, "name of the ServiceAccount")
	f.StringVar(&a.project, "project", "", "project the cluster belongs to")
	f.BoolVar(&a.upsert, "upsert", false, "replace a cluster of the same server that differs")
	f.BoolVarP(&a.yes, "yes", "y", false, "do not ask before creating the ServiceAccount")
	return cmd
}

// run creates the ServiceAccount in the context's cluster and registers
// the cluster with its token.
func (a clusterAddOptions) run(cmd *cobra.Command, c *apiClient, kubeconfig, context string) error {
	target, err := contextConfig(kubeconfig, context)
	if err != nil {
		return err
	}
	if !a.yes {
		scope := "on the whole cluster"
		if len(a.namespaces) > 0 {
			scope = "on namespaces " + strings.Join(a.namespaces, ", ")
		}
		answer, err := newPrompter(cmd).ask(fmt.Sprintf("This creates the ServiceAccount %s/%s in the cluster of context %s, with every right %s. Continue? [y/N] ",
			a.systemNamespace, a.serviceAccount, context, scope), false)
		if err != nil {
			return err
		}
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			_, _ = fmt.Fprintln(cmd.OutOrStdout(), "Cluster not added")
			return nil
		}
	}
	ctx := cmd.Context()
	m := clusterManagerSpec{serviceAccount: a.serviceAccount, namespace: a.systemNamespace, namespaces: a.namespaces}
	token, err := m.install(ctx, target)
	if err != nil {
		return fmt.Errorf("cluster add %s: %w", context, err)
	}
	req := a.request(context, target, token)
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
// server (or in-cluster) with the ServiceAccount's token and the
// context's CA.
func (a clusterAddOptions) request(context string, target *rest.Config, token string) clusterRequest {
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
	req := clusterRequest{
		Server:           strings.TrimRight(target.Host, "/"),
		Name:             a.name,
		Config:           map[string]any{"bearerToken": token, "tlsClientConfig": tls},
		Namespaces:       a.namespaces,
		ClusterResources: a.clusterResources,
		Project:          a.project,
	}
	if a.inCluster {
		req.Server = cluster.InClusterServer
	}
	if req.Name == "" {
		req.Name = context
	}
	return req
}
