// Package cli holds capstan's commands: the client commands and the cobra
// tree that wires every subcommand, including the server ones, to its options.
package cli

import (
	"github.com/spf13/cobra"
)

// NewRootCommand returns the `capstan` command with all its subcommands.
func NewRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "capstan",
		Short:         "GitOps continuous delivery for Kubernetes",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newVersionCommand(),
		newRenderCommand(),
		newControllerCommand("run", "Run capstan: the Application controller, the API server and the webhook receiver", true),
		newServerCommand(),
		newControllerCommand("controller", "Run the Application controller alone", false),
		newRenderWorkerCommand(),
		newImageUpdaterCommand(),
		newLoginCommand(),
		newLogoutCommand(),
		newContextCommand(),
		newAccountCommand(),
		newAppCommand(),
		newProjCommand(),
		newRepoCommand(),
		newRepoCredsCommand(),
		newClusterCommand(),
	)
	return root
}
