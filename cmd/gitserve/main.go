// Command gitserve serves the bare Git repositories under a directory over
// smart HTTP (git http-backend), read-only and without authentication:
//
//	gitserve --root DIR [--address 127.0.0.1:PORT]
//
// A repository DIR/<name>.git is at http://ADDRESS/<name>.git. It prints one
// line with its URL once it listens (port 0 picks a free port), and stops on
// SIGINT or SIGTERM. `make demo` serves the example repository with it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/capstan-cd/capstan/internal/gitserve"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gitserve:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("gitserve", flag.ContinueOnError)
	root := fs.String("root", "", "directory holding the bare repositories (<name>.git)")
	address := fs.String("address", "127.0.0.1:0", "address to listen on; port 0 picks a free port")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *root == "" || fs.NArg() > 0 {
		return errors.New("usage: gitserve --root DIR [--address 127.0.0.1:PORT]")
	}
	if fi, err := os.Stat(*root); err != nil || !fi.IsDir() {
		return fmt.Errorf("root %s is not a directory", *root)
	}
	h, err := gitserve.NewHandler(*root)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", *address)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	// Shutdown lets requests in flight finish; Serve returns at once, so
	// run waits for it before returning.
	stopped := make(chan error, 1)
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		stopped <- srv.Shutdown(shutdown)
	}()
	fmt.Printf("gitserve: serving %s at http://%s/\n", *root, l.Addr())
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return <-stopped
}
