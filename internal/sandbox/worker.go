package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/capstan-cd/capstan/internal/exepages"
	"github.com/capstan-cd/capstan/internal/render"
	"github.com/capstan-cd/capstan/internal/version"
)

// The environment through which a Pool starts a worker and hands it its
// limits. A process started with EnvWorker set serves renders and nothing
// else.
const (
	EnvWorker = "CAPSTAN_RENDER_WORKER"
	envMemory = "CAPSTAN_RENDER_MEMORY"
	envStack  = "CAPSTAN_RENDER_STACK"
)

// IsWorker reports whether this process was started as a render worker.
func IsWorker() bool { return os.Getenv(EnvWorker) == "1" }

// Serve is a worker's main loop: it sets its limits from the environment,
// before it reads any untrusted input, then renders one request at a time
// from in and answers on out until in closes.
func Serve(ctx context.Context, in io.Reader, out io.Writer) error {
	// No one takes a worker's heap profile: sampling its allocations
	// would only unwind stacks and keep them.
	runtime.MemProfileRate = 0
	return serve(ctx, in, out, exepages.Release, os.Stderr, settleAfter)
}

// settleAfter is how long a worker waits for its next request before it
// gives back what its renders left resident, as it did after its start:
// the pool keeps a worker past its idle time (Options.Keep), and that
// worker should wait as small as a fresh one.
const settleAfter = time.Minute

// serve is Serve with the release of the binary's pages, the worker's log
// and the wait before it settles given, so that a test can make the
// release fail or come soon.
func serve(ctx context.Context, in io.Reader, out io.Writer, release func() (int64, error), log io.Writer, quiet time.Duration) error {
	if err := limitSelf(); err != nil {
		return err
	}
	// As in the controller: the heap may grow a quarter over what is
	// live, not double. Most of what is live in a worker is what its
	// packages' initialisation left: at GOGC=100 a worker serving small
	// renders held 12.6 MiB of anonymous memory, at 25 9.0 MiB, for 0.07
	// ms more a render (docs/performance.md, "One render worker").
	debug.SetGCPercent(25)
	// Start-up touched far more of the binary than rendering uses, and
	// left garbage from the packages' initialisation: give both back
	// before the worker waits (an idle worker: 61 MiB resident before,
	// 17 MiB after). Giving back the binary's pages only saves memory: a
	// worker that cannot still renders, and says why once.
	giveBack := func() error {
		debug.FreeOSMemory()
		_, err := release()
		return err
	}
	if err := giveBack(); err != nil {
		fmt.Fprintf(log, "render worker: keeping the executable's pages resident: %v\n", err)
	}
	// Again after each quiet spell: a render may start meanwhile, and
	// faults back the pages it needs. A failure was said above.
	settle := time.AfterFunc(quiet, func() { _ = giveBack() })
	settle.Stop()
	defer settle.Stop()
	r := bufio.NewReader(in)
	w := bufio.NewWriter(out)
	// Say that it is ready: the Pool starts no other worker while one is
	// still starting.
	if err := writeFrame(w, response{Build: version.String()}); err != nil {
		return fmt.Errorf("write ready: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write ready: %w", err)
	}
	for {
		var req request
		if err := readFrame(r, 64<<20, &req); err != nil {
			if err == io.EOF {
				return nil
			}
			return fmt.Errorf("read render request: %w", err)
		}
		settle.Stop()
		if err := writeFrame(w, build(ctx, req)); err != nil {
			return fmt.Errorf("write render response: %w", err)
		}
		if err := w.Flush(); err != nil {
			return fmt.Errorf("write render response: %w", err)
		}
		settle.Reset(quiet)
	}
}

// limitSelf applies the limits the Pool passed. RLIMIT_DATA covers the Go
// heap and goroutine stacks (private writable mappings), so an allocation
// past it fails and the runtime ends the process, which the Pool reports.
// The soft memory limit below it makes the collector work harder first.
func limitSelf() error {
	if v, err := envInt(envMemory); err != nil {
		return err
	} else if v > 0 {
		lim := syscall.Rlimit{Cur: uint64(v), Max: uint64(v)}
		if err := syscall.Setrlimit(syscall.RLIMIT_DATA, &lim); err != nil {
			return fmt.Errorf("limit render memory to %d bytes: %w", v, err)
		}
		debug.SetMemoryLimit(v / 4 * 3)
	}
	if v, err := envInt(envStack); err != nil {
		return err
	} else if v > 0 {
		debug.SetMaxStack(int(v))
	}
	return nil
}

func envInt(name string) (int64, error) {
	s := os.Getenv(name)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: %w", name, s, err)
	}
	return v, nil
}

// build renders one request and checks the output limits, so that an
// oversized render is refused by the worker before it is written out.
func build(ctx context.Context, req request) response {
	res, err := render.Build(ctx, req.render())
	if err != nil {
		return response{Error: err.Error()}
	}
	if int64(len(res.Objects)) > req.Limits.Objects {
		return response{Error: fmt.Sprintf("render produced %d objects, over the limit of %d", len(res.Objects), req.Limits.Objects)}
	}
	out := response{Type: res.Type, Inputs: res.Inputs, Objects: make([]json.RawMessage, len(res.Objects))}
	var size int64
	for i, o := range res.Objects {
		data, err := json.Marshal(o.Object)
		if err != nil {
			return response{Error: fmt.Sprintf("encode %s: %v", o.GetName(), err)}
		}
		if size += int64(len(data)); size > req.Limits.Output {
			return response{Error: fmt.Sprintf("render output is over the limit of %d bytes", req.Limits.Output)}
		}
		res.Objects[i] = nil
		out.Objects[i] = data
	}
	return out
}
