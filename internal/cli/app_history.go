package cli

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func newAppHistoryCommand(o *clientOptions) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "history APPNAME",
		Short: "Show the deployments of an Application",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, outputWide, outputTable, outputJSON, outputYAML); err != nil {
				return err
			}
			c, err := o.client(cmd.Context())
			if err != nil {
				return err
			}
			app, err := c.getApp(cmd.Context(), args[0], "")
			if err != nil {
				return err
			}
			return printHistory(cmd.OutOrStdout(), output, app)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", outputWide, "output format: wide, json or yaml")
	return cmd
}

// rollbackRequest is the body of POST .../rollback.
type rollbackRequest struct {
	Name         string `json:"name"`
	AppNamespace string `json:"appNamespace,omitempty"`
	ID           int64  `json:"id"`
	DryRun       bool   `json:"dryRun,omitempty"`
	Prune        bool   `json:"prune,omitempty"`
}

func newAppRollbackCommand(o *clientOptions) *cobra.Command {
	var (
		prune   bool
		async   bool
		timeout uint
	)
	cmd := &cobra.Command{
		Use:   "rollback APPNAME [ID]",
		Short: "Sync an Application back to a deployment of its history (the previous one without ID)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := commandTimeout(cmd.Context(), time.Duration(timeout)*time.Second)
			defer cancel()
			c, err := o.client(ctx)
			if err != nil {
				return err
			}
			app, err := c.getApp(ctx, args[0], "")
			if err != nil {
				return err
			}
			id, err := rollbackID(app, args[1:])
			if err != nil {
				return err
			}
			ns, name := splitAppName(args[0])
			var before v1alpha1.Application
			req := rollbackRequest{Name: name, AppNamespace: ns, ID: id, Prune: prune}
			if err := c.do(ctx, http.MethodPost, appPath(name, "rollback"), appQuery(ns), req, &before); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if async {
				_, _ = fmt.Fprintf(out, "application '%s' rollback to %d requested\n", args[0], id)
				return nil
			}
			track := newOpTracker(&before)
			done, err := c.waitApp(ctx, args[0], waitFor{operation: true}, track, newProgress(out, time.Now))
			if err != nil {
				return err
			}
			_, _ = fmt.Fprintln(out)
			if err := printApp(out, outputWide, done); err != nil {
				return err
			}
			if op := done.Status.OperationState; op == nil || op.Phase != v1alpha1.OperationSucceeded {
				return fmt.Errorf("application %s: rollback has completed with phase %s: %s", args[0], phaseOf(op), messageOf(op))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&prune, "prune", false, "delete the objects not in that deployment")
	cmd.Flags().BoolVar(&async, "async", false, "do not wait for the rollback to end")
	cmd.Flags().UintVar(&timeout, "timeout", 0, "seconds to wait at most; 0 waits without end")
	return cmd
}

// rollbackID is the history ID to roll back to: the one given, or the
// deployment before the last.
func rollbackID(app *v1alpha1.Application, args []string) (int64, error) {
	if len(args) == 1 {
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("history ID %q is not a number", args[0])
		}
		return id, nil
	}
	h := app.Status.History
	if len(h) < 2 {
		return 0, fmt.Errorf("application %s has no previous deployment to roll back to", app.Name)
	}
	return h[len(h)-2].ID, nil
}
