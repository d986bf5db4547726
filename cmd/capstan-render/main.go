// Command capstan-render is capstan's render worker: the controller starts
// it, beside its own binary, to render one untrusted repository at a time
// under limits (docs/render.md). It links the renderers and nothing else of
// capstan, so that a worker starts quickly and small.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/capstan-cd/capstan/internal/sandbox"
	"github.com/capstan-cd/capstan/internal/version"
)

func main() {
	switch {
	case len(os.Args) == 2 && os.Args[1] == "version":
		fmt.Println(version.String())
	case len(os.Args) == 1 && sandbox.IsWorker():
		if err := sandbox.Serve(context.Background(), os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "capstan-render:", err)
			os.Exit(1)
		}
	default:
		fmt.Fprintln(os.Stderr, "capstan-render is started by capstan's controller, not by hand; `capstan-render version` prints its build")
		os.Exit(2)
	}
}
