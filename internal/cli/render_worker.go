package cli

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/capstan-cd/capstan/internal/sandbox"
)

// renderWorkerCommand is the hidden command the controller starts its
// render workers with.
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
