// Package testenv gives a test package a real local control plane: TestMain
// starts one cluster for the whole package, installs capstan's CRDs, and stops
// it when the tests end, whatever their outcome.
//
//	var env *testenv.Env
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }
package testenv

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/capstan-cd/capstan/internal/localkube"
)

const modulePath = "github.com/capstan-cd/capstan"

// Env is a running control plane with capstan's CRDs installed.
type Env struct {
	// Cluster is the control plane; Cluster.Dir holds its logs.
	Cluster *localkube.Cluster
	// Root is the repository's root directory.
	Root string
}

// Config returns a fresh admin client configuration for the cluster.
func (e *Env) Config() *rest.Config { return e.Cluster.Config() }

// Options change what Start sets up; the zero value is the usual cluster
// with capstan's CRDs.
type Options struct {
	// NoCRDs leaves capstan's CRDs out, for tests that install them their
	// own way (the Helm chart does, and refuses objects it did not create).
	NoCRDs bool
}

// Run starts a cluster, runs the package's tests on it and stops it. It
// returns the exit code for os.Exit.
func Run(m *testing.M, env **Env) int { return RunWith(m, env, Options{}) }

// RunWith is Run with options.
func RunWith(m *testing.M, env **Env, opts Options) int {
	if fuzzingOnly() {
		return m.Run()
	}
	// The tests' clients and controllers log nothing worth reading through
	// controller-runtime; without a logger it prints a stack trace to say
	// so.
	ctrllog.SetLogger(logr.Discard())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e, err := StartWith(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	*env = e
	// A signal ends the run early: stop the cluster before exiting.
	go func() {
		<-ctx.Done()
		if ctx.Err() == context.Canceled {
			_ = e.Cluster.Down()
		}
	}()
	code := m.Run()
	if err := e.Stop(code == 0); err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// fuzzingOnly reports whether this run of the package only fuzzes: a
// fuzzing worker, or `go test -run '^$' -fuzz X` as hack/fuzz.sh runs it.
// Fuzz targets are pure, so such a run starts no cluster: one per run (and
// per worker) would cost more than the fuzzing itself.
func fuzzingOnly() bool {
	if !flag.Parsed() {
		flag.Parse()
	}
	value := func(name string) string {
		if f := flag.Lookup(name); f != nil {
			return f.Value.String()
		}
		return ""
	}
	return value("test.fuzzworker") == "true" || (value("test.fuzz") != "" && value("test.run") == "^$")
}

// Start starts a cluster in a new temporary directory and installs the CRDs.
// Several may run at once, for tests that need more than one cluster.
func Start(ctx context.Context) (*Env, error) { return StartWith(ctx, Options{}) }

// StartWith is Start with options.
func StartWith(ctx context.Context, opts Options) (*Env, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "capstan-testenv-")
	if err != nil {
		return nil, err
	}
	began := time.Now()
	c, err := localkube.Up(ctx, localkube.Options{
		BinDir:         filepath.Join(root, "bin"),
		Dir:            dir,
		KillWithParent: true,
	})
	if err != nil {
		return nil, err
	}
	e := &Env{Cluster: c, Root: root}
	if opts.NoCRDs {
		fmt.Fprintf(os.Stderr, "testenv: control plane ready in %.1fs (%s), no CRDs\n", time.Since(began).Seconds(), dir)
		return e, nil
	}
	if err := InstallCRDs(ctx, e.Config(), filepath.Join(root, "config", "crd")); err != nil {
		_ = e.Stop(false)
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "testenv: control plane ready in %.1fs (%s)\n", time.Since(began).Seconds(), dir)
	return e, nil
}

// Stop stops the cluster. Its directory is removed when clean is true and
// kept, with the components' logs, otherwise.
func (e *Env) Stop(clean bool) error {
	if err := e.Cluster.Down(); err != nil {
		return err
	}
	if !clean {
		fmt.Fprintf(os.Stderr, "testenv: control plane logs kept in %s\n", e.Cluster.Dir)
		return nil
	}
	return os.RemoveAll(e.Cluster.Dir)
}

// RepoRoot finds the root of capstan's module from the working directory,
// which `go test` sets to the package's directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && moduleOf(data) == modulePath {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of %s above the working directory", modulePath)
		}
		dir = parent
	}
}

func moduleOf(gomod []byte) string {
	s := bufio.NewScanner(bytes.NewReader(gomod))
	for s.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(s.Text()), "module "); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}
