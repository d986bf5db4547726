// Command capstan is the one binary of capstan: the controllers, the API
// server and the client commands. main only runs the command tree.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/capstan-cd/capstan/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.NewRootCommand().ExecuteContext(ctx)
	stop()
	if err != nil {
		code, silent := cli.ExitCode(err)
		if !silent {
			fmt.Fprintln(os.Stderr, "capstan:", err)
		}
		os.Exit(code)
	}
}
