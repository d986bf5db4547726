// Command capstan-bench measures capstan end to end on a local control
// plane against the limit of the API server, the program behind
// `make bench`:
//
//	capstan-bench --apps 1000 --json bench.json
//
// It prints a table of every figure and writes them as JSON; see
// docs/performance.md. Two such JSON files, of a smaller and a larger
// run, compare into a table of how each figure grew with the apps:
//
//	capstan-bench compare w1.json w2.json
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
	if len(os.Args) > 1 && os.Args[1] == "compare" {
		os.Exit(compare(os.Args[2:]))
	}
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

// compare prints how the figures of one --json result grew into
// another's.
func compare(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: capstan-bench compare SMALLER.json LARGER.json")
		return 2
	}
	var results [2]*bench.Result
	for i, path := range args {
		r, err := bench.ReadResult(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "capstan-bench compare:", err)
			return 1
		}
		results[i] = r
	}
	bench.WriteComparison(os.Stdout, results[0], results[1])
	return 0
}
