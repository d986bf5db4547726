package cli

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/spf13/cobra"
)

// clusterSetOptions are the flags of cluster set.
type clusterSetOptions struct {
	name             string
	namespaces       []string
	clusterResources bool
	project          string
	labels           []string
	annotations      []string
	shard            int64
}

func newClusterSetCommand(o *clientOptions) *cobra.Command {
	s := clusterSetOptions{}
	cmd := &cobra.Command{
		Use:   "set SERVER|NAME",
		Short: "Change a cluster's name, namespaces, project, labels, annotations or shard",
		Long: `Changes the fields of a cluster that flags give, and only those
(PUT /api/v1/clusters/{server} with updatedFields); its credentials stay.
--namespace '' (or '*') lets capstan manage every namespace again;
--label and --annotation replace all the cluster's labels or annotations
(--label '' removes them); --shard -1 removes the shard.`,
		Example: `  capstan cluster set prod --name production
  capstan cluster set https://10.0.0.1:6443 --namespace web --namespace db --cluster-resources`,
		Args: cobra.ExactArgs(1),
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, args []string) error {
			body, fields, err := s.update(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			if len(fields) == 0 {
				return fmt.Errorf("cluster set %s: nothing to change: give --name, --namespace, --cluster-resources, --project, --label, --annotation or --shard", args[0])
			}
			path, q := clusterPath(args[0])
			q["updatedFields"] = fields
			if err := c.do(cmd.Context(), http.MethodPut, path, q, body, nil); err != nil {
				return fmt.Errorf("cluster set %s: %w", args[0], err)
			}
			_, _ = fmt.Fprintf(cmd.OutOrStdout(), "Cluster '%s' updated.\n", args[0])
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&s.name, "name", "", "new name of the cluster")
	f.StringArrayVar(&s.namespaces, "namespace", nil, "manage this namespace only (repeatable); '' or '*' for every namespace")
	f.BoolVar(&s.clusterResources, "cluster-resources", false, "with namespaces, let capstan manage cluster-scoped resources too")
	f.StringVar(&s.project, "project", "", "project the cluster belongs to; '' for none")
	f.StringArrayVar(&s.labels, "label", nil, "a label KEY=VALUE of the cluster Secret (repeatable); replaces all its labels")
	f.StringArrayVar(&s.annotations, "annotation", nil, "an annotation KEY=VALUE of the cluster Secret (repeatable); replaces all its annotations")
	f.Int64Var(&s.shard, "shard", -1, "controller shard of the cluster; -1 to compute it from the cluster")
	return cmd
}

// update is the body of the PUT and the fields of it to write: those
// whose flag is given.
func (s clusterSetOptions) update(changed func(string) bool) (clusterRequest, []string, error) {
	var body clusterRequest
	var fields []string
	if changed("name") {
		if s.name == "" {
			return clusterRequest{}, nil, fmt.Errorf("--name: a cluster needs a name")
		}
		body.Name, fields = s.name, append(fields, "name")
	}
	if changed("namespace") {
		body.Namespaces = slices.DeleteFunc(slices.Clone(s.namespaces), func(ns string) bool { return ns == "" || ns == "*" })
		fields = append(fields, "namespaces")
	}
	if changed("cluster-resources") {
		body.ClusterResources, fields = s.clusterResources, append(fields, "clusterResources")
	}
	if changed("project") {
		body.Project, fields = s.project, append(fields, "project")
	}
	if changed("label") {
		labels, err := keyValues("label", s.labels)
		if err != nil {
			return clusterRequest{}, nil, err
		}
		body.Labels, fields = labels, append(fields, "labels")
	}
	if changed("annotation") {
		annotations, err := keyValues("annotation", s.annotations)
		if err != nil {
			return clusterRequest{}, nil, err
		}
		body.Annotations, fields = annotations, append(fields, "annotations")
	}
	if changed("shard") {
		if s.shard >= 0 {
			shard := s.shard
			body.Shard = &shard
		}
		fields = append(fields, "shard")
	}
	return body, fields, nil
}
