package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// worker is one render worker process.
type worker struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *stderrHead
	done   chan struct{} // closed when the process has been waited for

	idleTimer *time.Timer
	killOnce  sync.Once
}

// The environment a worker inherits: what Git, Helm and the Go runtime
// read, nothing of the controller's own (its kubeconfig, its secrets).
var inheritedEnv = []string{"PATH", "HOME", "TMPDIR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "GOCOVERDIR"}

func startWorker(argv []string, l Limits) (*worker, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	// A worker renders one request at a time, so it runs on one runtime
	// processor from its first instruction: with one per CPU, each
	// request that woke it had the scheduler wake and park threads to
	// look for other work, and the collector's idle workers ran on the
	// processors the render left (W1's cold sync: 2.0 CPU-s in the
	// worker on two, 1.4 on one; docs/performance.md, "A render worker on
	// one processor").
	cmd.Env = []string{EnvWorker + "=1", envMemory + "=" + strconv.FormatInt(l.Memory, 10), envStack + "=" + strconv.FormatInt(l.Stack, 10), "GOMAXPROCS=1"}
	for _, k := range inheritedEnv {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	// A worker outlives neither the controller (Pdeathsig) nor a kill of
	// its group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	w := &worker{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<16), stderr: &stderrHead{max: 4096}, done: make(chan struct{})}
	cmd.Stderr = w.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start render worker %s: %w", argv[0], err)
	}
	go func() {
		_ = cmd.Wait()
		close(w.done)
	}()
	return w, nil
}

// guard kills w once l.Timeout has passed or ctx has ended, and records
// which; release stops it.
func (w *worker) guard(ctx context.Context, l Limits) (why *stopReason, release func()) {
	why = &stopReason{}
	timer := time.AfterFunc(l.Timeout, func() { why.set(stopTimeout); w.kill() })
	stop := context.AfterFunc(ctx, func() { why.set(stopCancelled); w.kill() })
	return why, func() { timer.Stop(); stop() }
}

// ready waits, at most l.Timeout and while ctx lasts, for the frame a
// worker writes once it has started and is about to read its first
// request, and checks that the worker is the build named build: requests
// and answers are the two builds' own types, and a worker left from
// another build could render with other renderers.
func (w *worker) ready(ctx context.Context, l Limits, build string) error {
	why, release := w.guard(ctx, l)
	defer release()
	var hello response
	err := readFrame(w.out, 1<<10, &hello)
	switch {
	case err == nil && hello.Build != build:
		return fmt.Errorf("render worker %s is %q, not %q as this capstan: install both binaries from the same build", w.cmd.Path, hello.Build, build)
	case err == nil:
		return nil
	case why.get() == stopTimeout:
		return fmt.Errorf("render worker did not start within %s", l.Timeout)
	case why.get() == stopCancelled:
		return ctx.Err()
	}
	return w.died(err, l)
}

// do sends one request and reads its answer, within the time limit and
// while ctx lasts. Any error means the worker is no longer usable.
func (w *worker) do(ctx context.Context, req request, l Limits) (response, error) {
	why, release := w.guard(ctx, l)
	defer release()

	w.stderr.reset()
	var resp response
	err := writeFrame(w.in, req)
	if err == nil {
		err = readFrame(w.out, l.Output+l.Output/2+1<<20, &resp)
	}
	if err == nil {
		return resp, nil
	}
	var large errTooLarge
	switch {
	case errors.As(err, &large):
		return response{}, large
	case why.get() == stopTimeout:
		return response{}, fmt.Errorf("render took longer than %s and was stopped", l.Timeout)
	case why.get() == stopCancelled:
		return response{}, ctx.Err()
	}
	return response{}, w.died(err, l)
}

// died explains a worker that stopped answering: it waits a moment for
// the process to end and reads the runtime's last words.
func (w *worker) died(err error, l Limits) error {
	select {
	case <-w.done:
	case <-time.After(2 * time.Second):
		w.kill()
		<-w.done
	}
	last := w.stderr.String()
	switch {
	case strings.Contains(last, "stack exceeds") || strings.Contains(last, "stack overflow"):
		return fmt.Errorf("render exceeded the stack limit of %d bytes (deep or endless recursion) and was stopped", l.Stack)
	case strings.Contains(last, "out of memory") || strings.Contains(last, "cannot allocate memory"),
		// A new thread's stack is data too: at the limit the runtime
		// cannot start one (RLIMIT_DATA is the only limit a worker sets).
		strings.Contains(last, "pthread_create failed"):
		return fmt.Errorf("render exceeded the memory limit of %d bytes and was stopped", l.Memory)
	}
	state := "exited"
	if ps := w.cmd.ProcessState; ps != nil {
		state = ps.String()
	}
	if line := firstLine(last); line != "" {
		return fmt.Errorf("render worker %s: %s", state, line)
	}
	return fmt.Errorf("render worker %s: %w", state, err)
}

// kill ends the worker and its process group.
func (w *worker) kill() {
	w.killOnce.Do(func() {
		_ = w.in.Close()
		if p := w.cmd.Process; p != nil {
			_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
			_ = p.Kill()
		}
	})
}

// stop kills the worker and waits, at most reapWait, for it to be reaped.
func (w *worker) stop() {
	w.kill()
	deadline := time.NewTimer(reapWait)
	defer deadline.Stop()
	w.wait(deadline)
}

// wait waits for a worker's process to have exited and been reaped, until
// deadline fires, and reports whether it was.
func (w *worker) wait(deadline *time.Timer) bool {
	select {
	case <-w.done:
		return true
	case <-deadline.C:
		return false
	}
}

func (w *worker) stopIdle() {
	if w.idleTimer != nil {
		w.idleTimer.Stop()
	}
}

type stopReason struct {
	mu  sync.Mutex
	why int
}

const (
	stopTimeout = iota + 1
	stopCancelled
)

func (s *stopReason) set(v int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.why == 0 {
		s.why = v
	}
}

func (s *stopReason) get() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.why
}

// stderrHead keeps the first lines a worker writes during a render: the Go
// runtime puts the reason of a fatal error first, before the goroutine
// dumps.
type stderrHead struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (t *stderrHead) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if room := t.max - t.buf.Len(); room > 0 {
		t.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (t *stderrHead) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Reset()
}

func (t *stderrHead) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}

func firstLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return ""
}
