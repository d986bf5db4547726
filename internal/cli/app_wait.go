package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// waitFor is what `app wait` waits for; all of health, sync and operation
// when none is asked for.
type waitFor struct {
	health, sync, operation, suspended, degraded bool
	// deleted waits for the Application to be deleted, and nothing else.
	deleted bool
}

func (w waitFor) orAll() waitFor {
	if !w.health && !w.sync && !w.operation && !w.suspended && !w.degraded {
		return waitFor{health: true, sync: true, operation: true}
	}
	return w
}

// satisfied reports whether app is as w waits for it: no operation
// pending or running, synced, and healthy (or, when asked, suspended or
// degraded).
func (w waitFor) satisfied(app *v1alpha1.Application) bool {
	if w.deleted {
		return false
	}
	op := app.Status.OperationState
	if w.operation && (app.Operation != nil || (op != nil && !op.Phase.Completed())) {
		return false
	}
	if w.sync && app.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced {
		return false
	}
	if w.health || w.suspended || w.degraded {
		h := app.Status.Health.Status
		ok := (w.health && h == v1alpha1.HealthStatusHealthy) ||
			(w.suspended && h == v1alpha1.HealthStatusSuspended) ||
			(w.degraded && h == v1alpha1.HealthStatusDegraded)
		if !ok {
			return false
		}
	}
	return true
}

// opTracker tells, for an operation this client asked for, whether a view
// of the Application is from after the request: the stream may first show
// the Application as it was, with the previous operation finished, and its
// cache may lag behind the write that asked for the operation.
type opTracker struct {
	// written is the resource version of the write that asked for the
	// operation; before is the operation state the Application had then.
	written string
	before  *v1alpha1.OperationState
	seen    bool
}

// newOpTracker tracks the operation asked for by the write that returned
// app.
func newOpTracker(app *v1alpha1.Application) *opTracker {
	return &opTracker{written: app.ResourceVersion, before: app.Status.OperationState}
}

// current reports whether app shows the operation asked for, pending,
// running or done; once it has, every later view does. Resource versions
// are compared as the numbers the API server gives (as the server's own
// refresh does); without them, a pending operation or an operation state
// other than the one before tell.
func (t *opTracker) current(app *v1alpha1.Application) bool {
	if t == nil || t.seen {
		return true
	}
	written, err1 := strconv.ParseUint(t.written, 10, 64)
	got, err2 := strconv.ParseUint(app.ResourceVersion, 10, 64)
	if err1 == nil && err2 == nil {
		t.seen = got >= written
		return t.seen
	}
	if app.Operation != nil || !sameOperationState(app.Status.OperationState, t.before) {
		t.seen = true
	}
	return t.seen
}

func sameOperationState(a, b *v1alpha1.OperationState) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.StartedAt.Equal(&b.StartedAt) && a.Phase == b.Phase && a.Message == b.Message
}

// errDeleted is the end of a wait on an Application that was deleted.
var errDeleted = errors.New("the application was deleted")

// waitApp follows an Application's events until cond holds, showing its
// resource states on prog when not nil. A stream that ends early is
// opened again; ctx bounds the wait.
func (c *apiClient) waitApp(ctx context.Context, qualified string, cond waitFor, track *opTracker, prog *progress) (*v1alpha1.Application, error) {
	_, name := splitAppName(qualified)
	var last *v1alpha1.Application
	for {
		done := false
		err := c.watchApplication(ctx, name, func(ev appEvent) (bool, error) {
			if ev.Type == "DELETED" {
				done = cond.deleted
				if !done {
					return true, errDeleted
				}
				return true, nil
			}
			app := ev.Application
			last = &app
			if prog != nil {
				if err := prog.show(&app); err != nil {
					return true, err
				}
			}
			done = track.current(&app) && cond.satisfied(&app)
			return done, nil
		})
		switch {
		case done:
			return last, nil
		case ctx.Err() != nil:
			return last, fmt.Errorf("timed out waiting for application %s: %w", qualified, ctx.Err())
		case err != nil:
			return last, err
		}
		// The server ended the stream (a restart): follow it again.
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// waitDeleted waits until the Application is gone: its DELETED event, or
// a read that finds nothing, since a deletion that ends before the stream
// opens has no event to show. The API answers a missing Application as
// forbidden, as Argo CD's does, so as not to tell what exists.
func (c *apiClient) waitDeleted(ctx context.Context, qualified string) error {
	for {
		if _, err := c.getApp(ctx, qualified, ""); isNotFound(err) || isForbidden(err) {
			return nil
		} else if err != nil {
			return err
		}
		watch, cancel := context.WithTimeout(ctx, deleteRecheck)
		_, err := c.waitApp(watch, qualified, waitFor{deleted: true}, nil, nil)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("timed out waiting for application %s to be deleted: %w", qualified, ctx.Err())
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
	}
}

// deleteRecheck is how long a wait for a deletion follows the stream
// before it reads the Application again.
const deleteRecheck = 10 * time.Second

func newAppWaitCommand(o *clientOptions) *cobra.Command {
	var (
		w       waitFor
		timeout uint
		del     bool
		output  string
	)
	cmd := &cobra.Command{
		Use:   "wait APPNAME...",
		Short: "Wait until Applications are synced and healthy, and no operation runs",
		Long: `Waits, following the server's event stream, until each Application has
no operation pending or running, is synced and is healthy; --health, --sync,
--operation, --suspended and --degraded wait for those only. While waiting it
prints a line for each change of a resource's state.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, outputTable, outputJSON, outputYAML); err != nil {
				return err
			}
			ctx, cancel := commandTimeout(cmd.Context(), time.Duration(timeout)*time.Second)
			defer cancel()
			c, err := o.client(ctx)
			if err != nil {
				return err
			}
			for _, a := range args {
				if del {
					if err := c.waitDeleted(ctx, a); err != nil {
						return err
					}
					continue
				}
				var prog *progress
				if output == outputTable {
					prog = newProgress(cmd.OutOrStdout(), time.Now)
				}
				app, err := c.waitApp(ctx, a, w.orAll(), nil, prog)
				if err != nil {
					return err
				}
				if ok, err := printStructured(cmd.OutOrStdout(), output, app); ok {
					if err != nil {
						return err
					}
					continue
				}
				_, _ = fmt.Fprintln(cmd.OutOrStdout())
				if err := printApp(cmd.OutOrStdout(), outputWide, app); err != nil {
					return err
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&w.health, "health", false, "wait for health")
	f.BoolVar(&w.sync, "sync", false, "wait for sync")
	f.BoolVar(&w.operation, "operation", false, "wait for the operation to end")
	f.BoolVar(&w.suspended, "suspended", false, "wait for the suspended health")
	f.BoolVar(&w.degraded, "degraded", false, "wait for the degraded health")
	f.BoolVar(&del, "delete", false, "wait until the Application is deleted")
	f.UintVar(&timeout, "timeout", 0, "seconds to wait at most; 0 waits without end")
	f.StringVarP(&output, "output", "o", "", "output format of the final state: json or yaml (default: lines of states, then the Application)")
	return cmd
}
