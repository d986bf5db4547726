package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// resourceDiff is one managed object as GET .../managed-resources answers:
// its target and live states as JSON text.
type resourceDiff struct {
	Group               string `json:"group"`
	Kind                string `json:"kind"`
	Namespace           string `json:"namespace"`
	Name                string `json:"name"`
	TargetState         string `json:"targetState"`
	LiveState           string `json:"liveState"`
	NormalizedLiveState string `json:"normalizedLiveState"`
	PredictedLiveState  string `json:"predictedLiveState,omitempty"`
	Hook                bool   `json:"hook,omitempty"`
	Modified            bool   `json:"modified"`
}

// treeNode is a node of GET .../resource-tree.
type treeNode struct {
	Group     string `json:"group"`
	Version   string `json:"version"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// resourceFlags name one live object of an Application.
type resourceFlags struct {
	group, version, kind, namespace, name string
}

func (f *resourceFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.group, "group", "", "group of the object")
	fs.StringVar(&f.version, "version", "", "version of the object's kind")
	fs.StringVar(&f.kind, "kind", "", "kind of the object")
	fs.StringVar(&f.namespace, "namespace", "", "namespace of the object")
	fs.StringVar(&f.name, "resource-name", "", "name of the object")
}

// query is the object's query of the /resource endpoints.
func (f resourceFlags) query(appNamespace string) url.Values {
	q := appQuery(appNamespace)
	q.Set("namespace", f.namespace)
	q.Set("resourceName", f.name)
	q.Set("version", f.version)
	q.Set("group", f.group)
	q.Set("kind", f.kind)
	return q
}

func newAppResourcesCommand(o *clientOptions) *cobra.Command {
	var (
		orphaned bool
		output   string
	)
	cmd := &cobra.Command{
		Use:   "resources APPNAME",
		Short: "List the objects of an Application",
		Args:  cobra.ExactArgs(1),
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, args []string) error {
			app, err := c.getApp(cmd.Context(), args[0], "")
			if err != nil {
				return err
			}
			var orphans []treeNode
			if orphaned {
				ns, name := splitAppName(args[0])
				var tree struct {
					OrphanedNodes []treeNode `json:"orphanedNodes"`
				}
				if err := c.do(cmd.Context(), http.MethodGet, appPath(name, "resource-tree"), appQuery(ns), nil, &tree); err != nil {
					return err
				}
				orphans = tree.OrphanedNodes
			}
			return printResources(cmd.OutOrStdout(), output, app.Status.Resources, orphans)
		}),
	}
	cmd.Flags().BoolVar(&orphaned, "orphaned", false, "also list the objects of the destination namespace that no Application manages")
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: json or yaml (default: a table)")
	return cmd
}

// printResources prints managed objects, then orphaned ones.
func printResources(w io.Writer, format string, managed []v1alpha1.ResourceStatus, orphans []treeNode) error {
	if ok, err := printStructured(w, format, map[string]any{"resources": managed, "orphaned": orphans}); ok {
		return err
	}
	t := newTable(w, "GROUP", "KIND", "NAMESPACE", "NAME", "ORPHANED")
	for _, r := range managed {
		t.row(r.Group, r.Kind, r.Namespace, r.Name, "No")
	}
	for _, r := range orphans {
		t.row(r.Group, r.Kind, r.Namespace, r.Name, "Yes")
	}
	return t.flush()
}

func newAppManifestsCommand(o *clientOptions) *cobra.Command {
	var source, revision string
	cmd := &cobra.Command{
		Use:   "manifests APPNAME",
		Short: "Print an Application's objects as rendered from Git (--source git) or as live (--source live)",
		Args:  cobra.ExactArgs(1),
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, args []string) error {
			ns, name := splitAppName(args[0])
			var docs []string
			switch source {
			case "git":
				q := appQuery(ns)
				if revision != "" {
					q.Set("revision", revision)
				}
				var resp struct {
					Manifests []string `json:"manifests"`
				}
				if err := c.do(cmd.Context(), http.MethodGet, appPath(name, "manifests"), q, nil, &resp); err != nil {
					return err
				}
				docs = resp.Manifests
			case "live":
				diffs, err := c.managedResources(cmd, args[0])
				if err != nil {
					return err
				}
				for _, d := range diffs {
					if d.LiveState != "" && d.LiveState != "null" {
						docs = append(docs, d.LiveState)
					}
				}
			default:
				return fmt.Errorf("unknown source %q: want git or live", source)
			}
			return printManifests(cmd.OutOrStdout(), docs)
		}),
	}
	cmd.Flags().StringVar(&source, "source", "git", "git: rendered from the source; live: as in the cluster")
	cmd.Flags().StringVar(&revision, "revision", "", "render this revision instead of the target revision")
	return cmd
}

// managedResources reads the managed objects of an Application.
func (c *apiClient) managedResources(cmd *cobra.Command, qualified string) ([]resourceDiff, error) {
	ns, name := splitAppName(qualified)
	var resp struct {
		Items []resourceDiff `json:"items"`
	}
	if err := c.do(cmd.Context(), http.MethodGet, appPath(name, "managed-resources"), appQuery(ns), nil, &resp); err != nil {
		return nil, err
	}
	return resp.Items, nil
}

// printManifests prints JSON documents as a YAML stream.
func printManifests(w io.Writer, docs []string) error {
	for _, d := range docs {
		data, err := yaml.JSONToYAML([]byte(d))
		if err != nil {
			return fmt.Errorf("convert a manifest to YAML: %w", err)
		}
		if _, err := fmt.Fprintf(w, "---\n%s", data); err != nil {
			return err
		}
	}
	return nil
}

// patchTypes are the patch types of patch-resource, by short name.
var patchTypes = map[string]string{
	"json":      "application/json-patch+json",
	"merge":     "application/merge-patch+json",
	"strategic": "application/strategic-merge-patch+json",
}

// patchType is the media type of a --patch-type, given short or in full.
func patchType(s string) (string, error) {
	if t, ok := patchTypes[s]; ok {
		return t, nil
	}
	for _, t := range patchTypes {
		if s == t {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown patch type %q: want json, merge or strategic", s)
}

func newAppPatchResourceCommand(o *clientOptions) *cobra.Command {
	var (
		res   resourceFlags
		patch string
		ptype string
	)
	cmd := &cobra.Command{
		Use:   "patch-resource APPNAME --kind KIND --resource-name NAME --patch PATCH",
		Short: "Patch a live object of an Application",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pt, err := patchType(ptype)
			if err != nil {
				return err
			}
			if !json.Valid([]byte(patch)) {
				return fmt.Errorf("--patch is not JSON: %s", patch)
			}
			c, err := o.client(cmd.Context())
			if err != nil {
				return err
			}
			app, err := c.getApp(cmd.Context(), args[0], "")
			if err != nil {
				return err
			}
			target, err := oneResource(app, res)
			if err != nil {
				return err
			}
			ns, name := splitAppName(args[0])
			q := target.query(ns)
			q.Set("patchType", pt)
			// Argo CD's API takes the patch as a JSON string.
			if err := c.do(cmd.Context(), http.MethodPost, appPath(name, "resource"), q, patch, nil); err != nil {
				return err
			}
			_, _ = fmt.Fprintf(cmd.OutOrStdout(), "%s %s patched\n", strings.ToLower(res.kind), res.name)
			return nil
		},
	}
	res.bind(cmd.Flags())
	cmd.Flags().StringVar(&patch, "patch", "", "the patch, JSON")
	cmd.Flags().StringVar(&ptype, "patch-type", "merge", "patch type: json, merge or strategic")
	_ = cmd.MarkFlagRequired("kind")
	_ = cmd.MarkFlagRequired("resource-name")
	_ = cmd.MarkFlagRequired("patch")
	return cmd
}

func newAppTerminateOpCommand(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "terminate-op APPNAME",
		Short: "Stop the operation an Application runs",
		Args:  cobra.ExactArgs(1),
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, args []string) error {
			ns, name := splitAppName(args[0])
			if err := c.do(cmd.Context(), http.MethodDelete, appPath(name, "operation"), appQuery(ns), nil, nil); err != nil {
				return err
			}
			_, _ = fmt.Fprintf(cmd.OutOrStdout(), "Application '%s' operation terminating\n", args[0])
			return nil
		}),
	}
}
