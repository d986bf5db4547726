// Command localkube starts and stops the local Kubernetes control plane that
// capstan's tests, benchmark and demo run on:
//
//	localkube up DIR    start a cluster in DIR; DIR/kubeconfig reaches it
//	localkube down DIR  stop it and leave nothing running
//
// The component binaries are looked up beside localkube itself (bin/).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/capstan-cd/capstan/internal/localkube"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "localkube:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 2 || (args[0] != "up" && args[0] != "down") {
		return fmt.Errorf("usage: localkube up|down DIR")
	}
	dir := args[1]
	if args[0] == "down" {
		return localkube.Down(dir)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	began := time.Now()
	c, err := localkube.Up(ctx, localkube.Options{BinDir: filepath.Dir(self), Dir: dir})
	if err != nil {
		return err
	}
	fmt.Printf("cluster ready in %s after %.1fs\nexport KUBECONFIG=%s\n", c.Dir, time.Since(began).Seconds(), c.Kubeconfig)
	return nil
}
