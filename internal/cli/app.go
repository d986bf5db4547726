package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

const appsPath = "/api/v1/applications"

// appPath is the path of one Application, or of a sub-resource of it.
func appPath(name string, sub ...string) string {
	p := appsPath + "/" + pathEscape(name)
	for _, s := range sub {
		p += "/" + s
	}
	return p
}

// splitAppName splits namespace/name, as Argo CD's CLI names
// Applications; a bare name is in the control-plane namespace.
func splitAppName(s string) (namespace, name string) {
	if ns, n, ok := strings.Cut(s, "/"); ok {
		return ns, n
	}
	return "", s
}

// appQuery is the query naming an Application's namespace, when given.
func appQuery(namespace string) url.Values {
	q := url.Values{}
	if namespace != "" {
		q.Set("appNamespace", namespace)
	}
	return q
}

func newAppCommand() *cobra.Command {
	o := newClientOptions()
	cmd := clientCommand(o, &cobra.Command{
		Use:     "app",
		Aliases: []string{"apps", "application", "applications"},
		Short:   "Manage Applications",
	})
	cmd.AddCommand(
		newAppListCommand(o),
		newAppGetCommand(o),
		newAppCreateCommand(o),
		newAppSetCommand(o),
		newAppUnsetCommand(o),
		newAppDeleteCommand(o),
		newAppSyncCommand(o),
		newAppWaitCommand(o),
		newAppDiffCommand(o),
		newAppManifestsCommand(o),
		newAppHistoryCommand(o),
		newAppRollbackCommand(o),
		newAppTerminateOpCommand(o),
		newAppResourcesCommand(o),
		newAppPatchResourceCommand(o),
		newAppActionsCommand(o),
	)
	return cmd
}

func newAppListCommand(o *clientOptions) *cobra.Command {
	var (
		output   string
		projects []string
		selector string
		repo     string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List Applications",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, outputWide, outputTable, outputJSON, outputYAML, outputName); err != nil {
				return err
			}
			c, err := o.client(cmd.Context())
			if err != nil {
				return err
			}
			q := url.Values{}
			for _, p := range projects {
				q.Add("projects", p)
			}
			if selector != "" {
				q.Set("selector", selector)
			}
			if repo != "" {
				q.Set("repo", repo)
			}
			var list v1alpha1.ApplicationList
			if err := c.do(cmd.Context(), http.MethodGet, appsPath, q, nil, &list); err != nil {
				return err
			}
			return printAppList(cmd.OutOrStdout(), output, list.Items)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", outputWide, "output format: wide, json, yaml or name")
	cmd.Flags().StringArrayVarP(&projects, "project", "p", nil, "only the Applications of this project (repeatable)")
	cmd.Flags().StringVarP(&selector, "selector", "l", "", "only the Applications whose labels match this selector")
	cmd.Flags().StringVarP(&repo, "repo", "r", "", "only the Applications of this repository")
	return cmd
}

func newAppGetCommand(o *clientOptions) *cobra.Command {
	var (
		output      string
		refresh     bool
		hardRefresh bool
	)
	cmd := &cobra.Command{
		Use:   "get APPNAME",
		Short: "Show an Application: its source, status, operation and resources",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, outputWide, outputTable, outputJSON, outputYAML, outputName); err != nil {
				return err
			}
			c, err := o.client(cmd.Context())
			if err != nil {
				return err
			}
			app, err := c.getApp(cmd.Context(), args[0], refreshMode(refresh, hardRefresh))
			if err != nil {
				return err
			}
			return printApp(cmd.OutOrStdout(), output, app)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", outputWide, "output format: wide, json, yaml or name")
	cmd.Flags().BoolVar(&refresh, "refresh", false, "compare with the latest revision of the source before answering")
	cmd.Flags().BoolVar(&hardRefresh, "hard-refresh", false, "as --refresh, also rendering the source again")
	return cmd
}

// refreshMode is the refresh query of a get: "", normal or hard.
func refreshMode(refresh, hard bool) string {
	switch {
	case hard:
		return "hard"
	case refresh:
		return "normal"
	}
	return ""
}

// getApp reads an Application, asking for a refresh when refresh is not
// empty.
func (c *apiClient) getApp(ctx context.Context, qualified, refresh string) (*v1alpha1.Application, error) {
	ns, name := splitAppName(qualified)
	q := appQuery(ns)
	if refresh != "" {
		q.Set("refresh", refresh)
	}
	var app v1alpha1.Application
	if err := c.do(ctx, http.MethodGet, appPath(name), q, nil, &app); err != nil {
		return nil, err
	}
	return &app, nil
}

func newAppDeleteCommand(o *clientOptions) *cobra.Command {
	var (
		cascade     bool
		propagation string
		yes         bool
		wait        bool
		timeout     uint
	)
	cmd := &cobra.Command{
		Use:   "delete APPNAME...",
		Short: "Delete Applications, and with --cascade (the default) the objects they manage",
		Args:  cobra.MinimumNArgs(1),
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, args []string) error {
			in := bufio.NewReader(cmd.InOrStdin())
			for _, a := range args {
				if !yes {
					ok, err := confirm(in, cmd.OutOrStdout(), fmt.Sprintf("Are you sure you want to delete '%s' and all its resources? [y/n] ", a))
					if err != nil {
						return err
					}
					if !ok {
						continue
					}
				}
				ns, name := splitAppName(a)
				q := appQuery(ns)
				if cmd.Flags().Changed("cascade") {
					q.Set("cascade", fmt.Sprint(cascade))
				}
				if propagation != "" {
					q.Set("propagationPolicy", propagation)
				}
				if err := c.do(cmd.Context(), http.MethodDelete, appPath(name), q, nil, nil); err != nil {
					return err
				}
				if wait {
					ctx, cancel := commandTimeout(cmd.Context(), time.Duration(timeout)*time.Second)
					err := c.waitDeleted(ctx, a)
					cancel()
					if err != nil {
						return err
					}
				}
				_, _ = fmt.Fprintf(cmd.OutOrStdout(), "application '%s' deleted\n", a)
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&cascade, "cascade", true, "delete the objects the Application manages too")
	cmd.Flags().StringVarP(&propagation, "propagation-policy", "p", "", "how the objects are deleted: foreground or background")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the Application is gone")
	cmd.Flags().UintVar(&timeout, "timeout", 0, "with --wait, seconds to wait at most; 0 waits without end")
	return cmd
}

// confirm asks a yes/no question; only y or yes is yes.
func confirm(in *bufio.Reader, out io.Writer, question string) (bool, error) {
	_, _ = fmt.Fprint(out, question)
	line, err := in.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
