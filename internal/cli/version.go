package cli

import (
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/capstan-cd/capstan/internal/version"
)

func newVersionCommand() *cobra.Command {
	o := newClientOptions()
	var client bool
	cmd := clientCommand(o, &cobra.Command{
		Use:   "version",
		Short: "Print capstan's version, and the server's when one is configured",
		Long: `Prints the version of this binary. With --server, --core or a current
context, also the version of the server; --client prints the binary's alone.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			if _, err := fmt.Fprintln(out, version.String()); err != nil {
				return err
			}
			if client {
				return nil
			}
			c, err := o.client(cmd.Context())
			if err != nil {
				if o.server == "" && !o.core {
					return nil // no server to ask
				}
				return err
			}
			var v struct {
				Version string `json:"Version"`
			}
			if err := c.do(cmd.Context(), http.MethodGet, "/api/version", nil, nil, &v); err != nil {
				return err
			}
			_, err = fmt.Fprintf(out, "server: %s\n", v.Version)
			return err
		},
	})
	cmd.Flags().BoolVar(&client, "client", false, "print the client's version only")
	return cmd
}
