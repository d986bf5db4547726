package cli

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// syncRequest is the body of POST /api/v1/applications/{name}/sync.
type syncRequest struct {
	Name          string                           `json:"name"`
	AppNamespace  string                           `json:"appNamespace,omitempty"`
	Revision      string                           `json:"revision,omitempty"`
	DryRun        bool                             `json:"dryRun,omitempty"`
	Prune         bool                             `json:"prune,omitempty"`
	Strategy      *v1alpha1.SyncStrategy           `json:"strategy,omitempty"`
	Resources     []v1alpha1.SyncOperationResource `json:"resources,omitempty"`
	SyncOptions   *syncOptionsBody                 `json:"syncOptions,omitempty"`
	RetryStrategy *v1alpha1.RetryStrategy          `json:"retryStrategy,omitempty"`
}

// syncOptionsBody is the gateway's wrapping of a list of sync options.
type syncOptionsBody struct {
	Items []string `json:"items"`
}

// syncFlags are the flags of `app sync`.
type syncFlags struct {
	revision           string
	prune, dryRun      bool
	force              bool
	strategy           string
	resources          []string
	syncOptions        []string
	applyOutOfSyncOnly bool
	replace            bool
	serverSide         bool
	retryLimit         int64
}

// request turns the flags into the body of a sync of the named
// Application.
func (f syncFlags) request(qualified string) (syncRequest, error) {
	ns, name := splitAppName(qualified)
	req := syncRequest{Name: name, AppNamespace: ns, Revision: f.revision, DryRun: f.dryRun, Prune: f.prune}
	switch f.strategy {
	case "apply":
		req.Strategy = &v1alpha1.SyncStrategy{Apply: &v1alpha1.SyncStrategyApply{Force: f.force}}
	case "", "hook":
		req.Strategy = &v1alpha1.SyncStrategy{Hook: &v1alpha1.SyncStrategyHook{SyncStrategyApply: v1alpha1.SyncStrategyApply{Force: f.force}}}
	default:
		return syncRequest{}, fmt.Errorf("unknown sync strategy %q: want apply or hook", f.strategy)
	}
	for _, r := range f.resources {
		res, err := parseSyncResource(r)
		if err != nil {
			return syncRequest{}, err
		}
		req.Resources = append(req.Resources, res)
	}
	opts := append([]string(nil), f.syncOptions...)
	if f.applyOutOfSyncOnly {
		opts = append(opts, "ApplyOutOfSyncOnly=true")
	}
	if f.replace {
		opts = append(opts, "Replace=true")
	}
	if f.serverSide {
		opts = append(opts, "ServerSideApply=true")
	}
	if len(opts) > 0 {
		req.SyncOptions = &syncOptionsBody{Items: opts}
	}
	if f.retryLimit != 0 {
		req.RetryStrategy = &v1alpha1.RetryStrategy{Limit: f.retryLimit}
	}
	return req, nil
}

// parseSyncResource reads GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME; the
// group of core kinds is empty.
func parseSyncResource(s string) (v1alpha1.SyncOperationResource, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
		return v1alpha1.SyncOperationResource{}, fmt.Errorf("resource %q: want GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME", s)
	}
	r := v1alpha1.SyncOperationResource{Group: parts[0], Kind: parts[1], Name: parts[2]}
	if ns, name, ok := strings.Cut(parts[2], "/"); ok {
		r.Namespace, r.Name = ns, name
	}
	return r, nil
}

func newAppSyncCommand(o *clientOptions) *cobra.Command {
	var (
		f       syncFlags
		async   bool
		timeout uint
		output  string
	)
	cmd := &cobra.Command{
		Use:   "sync APPNAME...",
		Short: "Sync Applications to their target state",
		Long: `Asks the server to sync each Application, then, unless --async, follows the
server's event stream and prints a line for each change of a resource's
state until the operation ends. Fails when the operation does not succeed.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, outputWide, outputTable, outputJSON, outputYAML); err != nil {
				return err
			}
			ctx, cancel := commandTimeout(cmd.Context(), time.Duration(timeout)*time.Second)
			defer cancel()
			c, err := o.client(ctx)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, a := range args {
				req, err := f.request(a)
				if err != nil {
					return err
				}
				var before v1alpha1.Application
				if err := c.do(ctx, http.MethodPost, appPath(req.Name, "sync"), appQuery(req.AppNamespace), req, &before); err != nil {
					return err
				}
				if async {
					_, _ = fmt.Fprintf(out, "application '%s' sync requested\n", a)
					continue
				}
				var prog *progress
				if output == outputWide || output == outputTable {
					prog = newProgress(out, time.Now)
				}
				track := newOpTracker(&before)
				app, err := c.waitApp(ctx, a, waitFor{operation: true}, track, prog)
				if err != nil {
					return err
				}
				if ok, err := printStructured(out, output, app); ok {
					if err != nil {
						return err
					}
				} else {
					_, _ = fmt.Fprintln(out)
					if err := printApp(out, outputWide, app); err != nil {
						return err
					}
				}
				if op := app.Status.OperationState; op == nil || op.Phase != v1alpha1.OperationSucceeded {
					return fmt.Errorf("application %s: operation has completed with phase %s: %s", a, phaseOf(op), messageOf(op))
				}
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.revision, "revision", "", "sync to this revision instead of the target revision")
	fs.BoolVar(&f.prune, "prune", false, "delete the objects no longer in the source")
	fs.BoolVar(&f.dryRun, "dry-run", false, "only show what a sync would do")
	fs.BoolVar(&f.force, "force", false, "replace objects that cannot be updated in place (delete and re-create)")
	fs.StringVar(&f.strategy, "strategy", "", "sync strategy: hook (the default) or apply (skip hooks)")
	fs.StringArrayVar(&f.resources, "resource", nil, "sync only this resource, GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME (repeatable)")
	fs.StringArrayVar(&f.syncOptions, "sync-option", nil, "a sync option for this sync, such as CreateNamespace=true (repeatable)")
	fs.BoolVar(&f.applyOutOfSyncOnly, "apply-out-of-sync-only", false, "apply only the objects that are out of sync")
	fs.BoolVar(&f.replace, "replace", false, "replace objects instead of applying them")
	fs.BoolVar(&f.serverSide, "server-side", false, "apply with server-side apply")
	fs.Int64Var(&f.retryLimit, "retry-limit", 0, "retry a failed sync this many times")
	fs.BoolVar(&async, "async", false, "do not wait for the sync to end")
	fs.UintVar(&timeout, "timeout", 0, "seconds to wait at most; 0 waits without end")
	fs.StringVarP(&output, "output", "o", outputWide, "output format of the result: wide, json or yaml")
	return cmd
}

func phaseOf(op *v1alpha1.OperationState) string {
	if op == nil {
		return "<none>"
	}
	return string(op.Phase)
}

func messageOf(op *v1alpha1.OperationState) string {
	if op == nil {
		return ""
	}
	return op.Message
}
