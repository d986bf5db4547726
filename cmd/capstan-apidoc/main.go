// Command capstan-apidoc rewrites the endpoint index of docs/api.md from
// the API server's route table, the same table /swagger.json is made
// from:
//
//	go run ./cmd/capstan-apidoc [--file docs/api.md]
//
// `make generate` runs it; a test of internal/server fails while the page
// is stale.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/capstan-cd/capstan/internal/server"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "capstan-apidoc:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := pflag.NewFlagSet("capstan-apidoc", pflag.ContinueOnError)
	file := fs.String("file", "docs/api.md", "the page whose generated part to rewrite")
	if err := fs.Parse(args); err != nil {
		return err
	}
	page, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	fresh, err := server.RefreshAPIDoc(string(page))
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	if fresh == string(page) {
		return nil
	}
	return os.WriteFile(*file, []byte(fresh), 0o644)
}
