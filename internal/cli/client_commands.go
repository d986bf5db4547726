package cli

import (
	"context"
	"io"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

// items is the answer of a list endpoint.
type items[T any] struct {
	Items []T `json:"items"`
}

// fixedPath names the same path whatever the arguments.
func fixedPath(path string) func([]string) (string, url.Values) {
	return func([]string) (string, url.Values) { return path, nil }
}

// create POSTs body to a collection; upsert replaces an object of the
// same key.
func (o *clientOptions) create(ctx context.Context, collection string, upsert bool, body any) error {
	c, err := o.client(ctx)
	if err != nil {
		return err
	}
	q := url.Values{}
	if upsert {
		q.Set("upsert", "true")
	}
	return c.do(ctx, http.MethodPost, collection, q, body, nil)
}

// getCommand completes cmd as a command that GETs what its arguments name
// and prints the answer in the -o format.
func getCommand[T any](o *clientOptions, cmd *cobra.Command, path func(args []string) (string, url.Values), print func(io.Writer, string, T) error) *cobra.Command {
	var output string
	cmd.RunE = o.runE(func(cmd *cobra.Command, c *apiClient, args []string) error {
		if err := checkOutput(output, outputWide, outputTable, outputJSON, outputYAML, outputName); err != nil {
			return err
		}
		p, q := path(args)
		var v T
		if err := c.do(cmd.Context(), http.MethodGet, p, q, nil, &v); err != nil {
			return err
		}
		return print(cmd.OutOrStdout(), output, v)
	})
	cmd.Flags().StringVarP(&output, "output", "o", outputWide, "output format: wide, json or yaml")
	return cmd
}
