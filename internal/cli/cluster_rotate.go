package cli

import (
	"fmt"
	"net/http"

	"github.com/spf13/cobra"
)

func newClusterRotateAuthCommand(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "rotate-auth SERVER|NAME",
		Short: "Give the cluster's ServiceAccount a new token and revoke the old one",
		Long: `Creates, in the cluster, a new token Secret for the ServiceAccount whose
token the cluster Secret holds (argocd-manager for a cluster added by
cluster add), stores its token in the cluster Secret once the cluster
accepts it, then deletes the old token Secret, which revokes the old
token (POST /api/v1/clusters/{server}/rotate-auth).`,
		Args: cobra.ExactArgs(1),
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, args []string) error {
			path, q := clusterPath(args[0])
			if err := c.do(cmd.Context(), http.MethodPost, path+"/rotate-auth", q, nil, nil); err != nil {
				return fmt.Errorf("cluster rotate-auth %s: %w", args[0], err)
			}
			_, _ = fmt.Fprintf(cmd.OutOrStdout(), "Cluster '%s' rotated auth\n", args[0])
			return nil
		}),
	}
}
