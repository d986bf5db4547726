// Command capstan-statuswrite measures what an Application's status write
// costs the API server under each Application CRD file named (see
// bench.StatusWrites). docs/performance.md ("Status without a schema")
// compares the CRD with and without a schema for status with it:
//
//	git show 47aa5f2:config/crd/argoproj.io_applications.yaml > /tmp/with-schema.yaml
//	go run ./cmd/capstan-statuswrite /tmp/with-schema.yaml config/crd/argoproj.io_applications.yaml
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/capstan-cd/capstan/internal/bench"
)

func main() {
	opts := bench.StatusWriteOptions{}
	flag.IntVar(&opts.Apps, "apps", 1000, "Applications, each written once per round")
	flag.IntVar(&opts.Concurrency, "concurrency", 10, "writes in flight, as the controller's workers")
	flag.StringVar(&opts.BinDir, "bin-dir", "bin", "directory of the control plane's binaries")
	flag.Parse()
	opts.CRDs = flag.Args()
	if len(opts.CRDs) == 0 || opts.Apps < 1 || opts.Concurrency < 1 {
		fmt.Fprintln(os.Stderr, "usage: capstan-statuswrite [--apps N] [--concurrency N] [--bin-dir DIR] CRD-FILE...")
		os.Exit(2)
	}
	if err := run(opts); err != nil {
		fmt.Fprintln(os.Stderr, "capstan-statuswrite:", err)
		os.Exit(1)
	}
}

func run(opts bench.StatusWriteOptions) error {
	var err error
	if opts.BinDir, err = filepath.Abs(opts.BinDir); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return bench.StatusWrites(ctx, os.Stdout, opts)
}
