package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
)

// clusterFields are a cluster in Argo CD's JSON shape: as the API takes
// it, credentials in its config, and as it answers it, without them.
type clusterFields struct {
	Server           string            `json:"server"`
	Name             string            `json:"name"`
	Config           map[string]any    `json:"config,omitempty"`
	Project          string            `json:"project,omitempty"`
	Namespaces       []string          `json:"namespaces,omitempty"`
	ClusterResources bool              `json:"clusterResources,omitempty"`
	Shard            *int64            `json:"shard,omitempty"`
	Labels           map[string]string `json:"labels,omitempty"`
	Annotations      map[string]string `json:"annotations,omitempty"`
}

// clusterRequest is a cluster as POST and PUT /api/v1/clusters take it.
type clusterRequest = clusterFields

// clusterInfo is a cluster of the API; the server never returns its
// credentials.
type clusterInfo struct {
	clusterFields
	ServerVersion   string           `json:"serverVersion,omitempty"`
	ConnectionState *connectionState `json:"connectionState,omitempty"`
	Info            *struct {
		ServerVersion   string           `json:"serverVersion,omitempty"`
		ConnectionState *connectionState `json:"connectionState,omitempty"`
	} `json:"info,omitempty"`
}

// version and state are the cluster's, from info when the top level has
// none.
func (c clusterInfo) version() string {
	if c.ServerVersion == "" && c.Info != nil {
		return c.Info.ServerVersion
	}
	return c.ServerVersion
}

func (c clusterInfo) state() connectionState {
	if c.ConnectionState != nil {
		return *c.ConnectionState
	}
	if c.Info != nil && c.Info.ConnectionState != nil {
		return *c.Info.ConnectionState
	}
	return connectionState{}
}

func newClusterCommand() *cobra.Command {
	o := newClientOptions()
	cmd := clientCommand(o, &cobra.Command{
		Use:   "cluster",
		Short: "Manage destination clusters",
		Long:  `Adds, lists, shows, changes and removes destination clusters, and rotates their tokens.`,
	})
	list := getCommand(o, &cobra.Command{Use: "list", Short: "List clusters", Args: cobra.NoArgs},
		fixedPath("/api/v1/clusters"), func(w io.Writer, format string, resp items[clusterInfo]) error {
			return printClusters(w, format, resp.Items)
		})
	get := getCommand(o, &cobra.Command{Use: "get SERVER|NAME", Short: "Show a cluster", Args: cobra.ExactArgs(1)},
		func(args []string) (string, url.Values) { return clusterPath(args[0]) },
		func(w io.Writer, format string, cl clusterInfo) error {
			if ok, err := printStructured(w, format, cl); ok {
				return err
			}
			return printClusters(w, format, []clusterInfo{cl})
		})
	rm := &cobra.Command{
		Use:   "rm SERVER|NAME...",
		Short: "Remove clusters",
		Args:  cobra.MinimumNArgs(1),
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, args []string) error {
			for _, a := range args {
				path, q := clusterPath(a)
				if err := c.do(cmd.Context(), http.MethodDelete, path, q, nil, nil); err != nil {
					return err
				}
				_, _ = fmt.Fprintf(cmd.OutOrStdout(), "Cluster '%s' removed\n", a)
			}
			return nil
		}),
	}
	cmd.AddCommand(newClusterAddCommand(o), list, get, newClusterSetCommand(o), newClusterRotateAuthCommand(o), rm)
	return cmd
}

// clusterPath names a cluster by server URL, or by name as Argo CD's API
// allows with id.type=name.
func clusterPath(id string) (string, url.Values) {
	q := url.Values{}
	if !strings.Contains(id, "://") {
		q.Set("id.type", "name")
	}
	return "/api/v1/clusters/" + pathEscape(id), q
}

func (c *apiClient) getCluster(ctx context.Context, id string) (clusterInfo, error) {
	path, q := clusterPath(id)
	var cl clusterInfo
	err := c.do(ctx, http.MethodGet, path, q, nil, &cl)
	return cl, err
}

func printClusters(w io.Writer, format string, clusters []clusterInfo) error {
	if ok, err := printStructured(w, format, clusters); ok {
		return err
	}
	t := newTable(w, "SERVER", "NAME", "VERSION", "STATUS", "MESSAGE", "PROJECT")
	for _, c := range clusters {
		s := c.state()
		t.row(c.Server, c.Name, c.version(), s.Status, s.Message, c.Project)
	}
	return t.flush()
}
