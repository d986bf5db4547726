package cli

import (
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// resourceAction is one action GET .../resource/actions offers.
type resourceAction struct {
	Name     string `json:"name"`
	Disabled bool   `json:"disabled,omitempty"`
}

func newAppActionsCommand(o *clientOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "actions", Short: "List and run the actions of an Application's objects"}
	cmd.AddCommand(newAppActionsListCommand(o), newAppActionsRunCommand(o))
	return cmd
}

// selectResources are the objects of app that f names; an empty flag
// matches any value.
func selectResources(app *v1alpha1.Application, f resourceFlags) []resourceFlags {
	var out []resourceFlags
	for _, r := range app.Status.Resources {
		if (f.kind != "" && r.Kind != f.kind) || (f.group != "" && r.Group != f.group) ||
			(f.name != "" && r.Name != f.name) || (f.namespace != "" && r.Namespace != f.namespace) {
			continue
		}
		out = append(out, resourceFlags{group: r.Group, version: r.Version, kind: r.Kind, namespace: r.Namespace, name: r.Name})
	}
	return out
}

// oneResource is the one object of app that f names, with the version the
// API needs, which users seldom give.
func oneResource(app *v1alpha1.Application, f resourceFlags) (resourceFlags, error) {
	found := selectResources(app, f)
	switch len(found) {
	case 0:
		return resourceFlags{}, fmt.Errorf("application %s has no object matching the flags", app.Name)
	case 1:
		return found[0], nil
	}
	return resourceFlags{}, fmt.Errorf("%d objects of application %s match: name one with --resource-name, --namespace or --group", len(found), app.Name)
}

func newAppActionsListCommand(o *clientOptions) *cobra.Command {
	var res resourceFlags
	cmd := &cobra.Command{
		Use:   "list APPNAME",
		Short: "List the actions of an Application's objects",
		Args:  cobra.ExactArgs(1),
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, args []string) error {
			app, err := c.getApp(cmd.Context(), args[0], "")
			if err != nil {
				return err
			}
			ns, name := splitAppName(args[0])
			t := newTable(cmd.OutOrStdout(), "GROUP", "KIND", "NAME", "ACTION", "DISABLED")
			for _, r := range selectResources(app, res) {
				var resp struct {
					Actions []resourceAction `json:"actions"`
				}
				if err := c.do(cmd.Context(), http.MethodGet, appPath(name, "resource", "actions"), r.query(ns), nil, &resp); err != nil {
					return err
				}
				for _, a := range resp.Actions {
					t.row(r.group, r.kind, r.name, a.Name, fmt.Sprint(a.Disabled))
				}
			}
			return t.flush()
		}),
	}
	res.bind(cmd.Flags())
	return cmd
}

func newAppActionsRunCommand(o *clientOptions) *cobra.Command {
	var (
		res resourceFlags
		all bool
	)
	cmd := &cobra.Command{
		Use:   "run APPNAME ACTION --kind KIND [--resource-name NAME]",
		Short: "Run an action on objects of an Application",
		Args:  cobra.ExactArgs(2),
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, args []string) error {
			app, err := c.getApp(cmd.Context(), args[0], "")
			if err != nil {
				return err
			}
			targets := selectResources(app, res)
			switch {
			case len(targets) == 0:
				return fmt.Errorf("application %s has no object matching the flags", args[0])
			case len(targets) > 1 && !all:
				return fmt.Errorf("%d objects of application %s match: name one with --resource-name, or pass --all", len(targets), args[0])
			}
			ns, name := splitAppName(args[0])
			for _, r := range targets {
				// Argo CD's API takes the action's name as a JSON string.
				if err := c.do(cmd.Context(), http.MethodPost, appPath(name, "resource", "actions"), r.query(ns), args[1], nil); err != nil {
					return err
				}
				_, _ = fmt.Fprintf(cmd.OutOrStdout(), "action %s ran on %s %s\n", args[1], r.kind, r.name)
			}
			return nil
		}),
	}
	res.bind(cmd.Flags())
	cmd.Flags().BoolVar(&all, "all", false, "run on every matching object")
	_ = cmd.MarkFlagRequired("kind")
	return cmd
}
