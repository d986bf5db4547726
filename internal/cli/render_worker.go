package cli

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/capstan-cd/capstan/internal/render"
	"github.com/capstan-cd/capstan/internal/sandbox"
)

// renderWorkerCommand is the hidden command the controller starts its
// render workers with when there is no capstan-render beside its binary
// (sandbox.DefaultPool).
const renderWorkerCommand = "render-worker"

func newRenderWorkerCommand() *cobra.Command {
	return &cobra.Command{
		Use:    renderWorkerCommand,
		Short:  "Serve renders for a capstan controller on stdin and stdout",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !sandbox.IsWorker() {
				return errors.New("render-worker is started by capstan's controller, not by hand")
			}
			return sandbox.Serve(cmd.Context(), os.Stdin, os.Stdout)
		},
	}
}

// newRenderCache is a render cache of capacity renders, rendering in worker
// processes under the render limits unless opts.Isolation is none. The
// function it returns stops the workers.
func newRenderCache(opts sandbox.Options, capacity int) (*render.Cache, func(), error) {
	renders, pool, err := newRenderPool(opts, capacity)
	if err != nil || pool == nil {
		return renders, func() {}, err
	}
	return renders, pool.Close, nil
}

// newRenderPool is newRenderCache with the pool of its workers, nil when
// opts.Isolation is none.
func newRenderPool(opts sandbox.Options, capacity int) (*render.Cache, *sandbox.Pool, error) {
	if opts.Isolation == sandbox.IsolationNone {
		return render.NewCache(capacity), nil, opts.Validate()
	}
	pool, err := sandbox.DefaultPool(opts, renderWorkerCommand)
	if err != nil {
		return nil, nil, err
	}
	return render.NewCache(capacity, render.WithBuild(pool.Build)), pool, nil
}
