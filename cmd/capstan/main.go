// Command capstan is capstan's binary: the controllers, the API server and
// the client commands; its render workers run capstan-render, beside it.
// main only runs the command tree.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	// capstan's image holds the binary and CA certificates only, no
	// /usr/share/zoneinfo: sync windows with a timeZone need the zone
	// database built in (about 450 KiB).
	_ "time/tzdata"

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
