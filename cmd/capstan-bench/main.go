// Command capstan-bench measures capstan end to end on a local control
// plane against the limit of the API server, the program behind
// `make bench`:
//
//	capstan-bench --apps 1000 --json bench.json
//
// It prints a table of every figure and writes them as JSON; see
// docs/performance.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/capstan-cd/capstan/internal/bench"
)

func main() {
	opts := bench.DefaultOptions()
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := bench.Run(ctx, opts); err != nil {
		fmt.Fprintln(os.Stderr, "capstan-bench:", err)
		os.Exit(1)
	}
}
