package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"

	"github.com/capstan-cd/capstan/internal/render"
	"github.com/capstan-cd/capstan/internal/version"
)

// Pool runs renders in worker processes, at most Options.Workers at once.
// A worker serves one render at a time and is kept for the next while it
// stays healthy; one that broke a limit, died or was interrupted is killed
// and replaced. Idle workers exit after Options.Idle, but for the
// Options.Keep the pool keeps.
//
// Every worker is a process with its own runtime and heap, so the pool
// starts one only when the renders need it: a render that finds every
// worker busy waits for one to come back as long as the pool's last
// worker start took (at most maxPatience), and at least Options.Spawn,
// and starts another only then; a Spawn of 0 starts one at once. A
// render that starts a worker waits for it, so when the busy worker comes
// back within a start's time (held up by the scheduler on a busy
// machine, say), the render is served no later than a new worker would
// have served it, and without a second worker's memory on top of a busy
// controller; behind a slow render, the next worker starts later by
// about one start. While a worker is starting, renders wait for it rather
// than start more: a start takes some 40 ms of CPU, and longer than Spawn
// on a busy machine. Quick renders (a directory of manifests takes 0.2 to
// 2 ms) share one worker; slow ones (a large chart) get as many as
// Options.Workers.
type Pool struct {
	opts  Options
	argv  []string
	build string // what the workers must say they are: version.String()
	sem   chan struct{}

	mu        sync.Mutex
	idle      []*worker
	live      int            // workers started and not yet killed
	booting   int            // workers started and not yet ready
	lastStart time.Duration  // how long the last worker that started took to be ready
	waiting   []chan *worker // renders waiting for a busy worker, oldest first
	closed    bool

	// started, when a test sets it, is told of each worker started.
	started func(*worker)
}

var errClosed = errors.New("render pool is closed")

// NewPool returns a Pool whose workers run argv (typically the capstan
// binary and its render-worker command) with EnvWorker set.
func NewPool(opts Options, argv ...string) (*Pool, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if len(argv) == 0 {
		return nil, errors.New("render worker command is empty")
	}
	return &Pool{opts: opts, argv: argv, build: version.String(), sem: make(chan struct{}, opts.Workers)}, nil
}

// WorkerBinary is the render worker's own binary, built from
// cmd/capstan-render and installed beside capstan's. It holds the
// renderers and none of the controller, the API server or the clients, so
// a worker starts with less of a binary to initialise: about half the
// time and the resident pages of capstan's binary (docs/performance.md,
// "A render worker of its own").
const WorkerBinary = "capstan-render"

// DefaultPool returns a Pool whose workers run WorkerBinary from the
// directory of this process's binary, or, when there is none there, this
// binary with args (its render-worker command).
func DefaultPool(opts Options, args ...string) (*Pool, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find capstan's binary for render workers: %w", err)
	}
	return NewPool(opts, workerCommand(exe, args)...)
}

// workerCommand is WorkerBinary beside exe when it is an executable file
// there, and exe with self otherwise.
func workerCommand(exe string, self []string) []string {
	sibling := filepath.Join(filepath.Dir(exe), WorkerBinary)
	if fi, err := os.Stat(sibling); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
		return []string{sibling}
	}
	return append([]string{exe}, self...)
}

var _ render.BuildFunc = (*Pool)(nil).Build

// Build renders req in a worker. The objects' namespaces are left as
// rendered, as render.Build leaves them.
func (p *Pool) Build(ctx context.Context, req render.Request) (*render.Result, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.sem }()
	w, err := p.take(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := w.do(ctx, newRequest(req, p.opts.Limits), p.opts.Limits)
	if err != nil {
		p.discard(w)
		return nil, err
	}
	p.put(w)
	if resp.Error != "" {
		return nil, errors.New(resp.Error)
	}
	return decode(resp, p.opts.Objects)
}

func decode(resp response, limit int) (*render.Result, error) {
	if len(resp.Objects) > limit {
		return nil, fmt.Errorf("render produced %d objects, over the limit of %d", len(resp.Objects), limit)
	}
	res := &render.Result{Type: resp.Type, Inputs: resp.Inputs, Objects: make([]*unstructured.Unstructured, len(resp.Objects))}
	for i, data := range resp.Objects {
		// apimachinery's decoder keeps integers int64, as the render made
		// them.
		var m map[string]any
		if err := utiljson.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("decode rendered object %d: %w", i, err)
		}
		res.Objects[i] = &unstructured.Unstructured{Object: m}
	}
	return res, nil
}

// Warm starts a worker when none is alive (started or starting), waits
// until it is ready, and keeps it for the next render, as one that has
// just finished. A caller picks the moment of the start, and with it the
// moment of the start's burst of memory (some 30 MiB, 25 of it the
// worker's binary, for the tens or hundreds of milliseconds its
// initialisation takes): the controller warms the pool while it is
// itself small, before its caches fill, rather than have its first
// render start a worker on top of a full controller.
func (p *Pool) Warm(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return errClosed
	}
	if p.live > 0 {
		p.mu.Unlock()
		return nil
	}
	p.starting()
	p.mu.Unlock()
	w, err := p.start(ctx)
	if err != nil {
		return err
	}
	p.put(w)
	return nil
}

// take returns an idle worker; else, when every worker is busy, the first
// to come back within the patience; else a new one.
func (p *Pool) take(ctx context.Context) (*worker, error) {
	p.mu.Lock()
	if w, ok, err := p.takeIdle(); ok || err != nil {
		p.mu.Unlock()
		return w, err
	}
	if p.live == 0 || p.opts.Spawn <= 0 {
		p.starting()
		p.mu.Unlock()
		return p.start(ctx)
	}
	ch := make(chan *worker, 1)
	p.waiting = append(p.waiting, ch)
	patience := p.patience()
	p.mu.Unlock()

	timer := time.NewTimer(patience)
	defer timer.Stop()
	for {
		select {
		case w := <-ch:
			return p.handed(ctx, w)
		case <-timer.C:
		case <-ctx.Done():
		}
		p.mu.Lock()
		if ctx.Err() != nil || p.booting == 0 {
			break
		}
		// A worker is starting: wait past its start, not beside it.
		patience = p.patience()
		p.mu.Unlock()
		timer.Reset(patience)
	}
	if !p.unwait(ch) {
		// A worker, or the place of one, was handed over meanwhile.
		p.mu.Unlock()
		w := <-ch
		if err := ctx.Err(); err != nil {
			p.pass(w)
			return nil, err
		}
		return p.handed(ctx, w)
	}
	if err := ctx.Err(); err != nil {
		p.mu.Unlock()
		return nil, err
	}
	if w, ok, err := p.takeIdle(); ok || err != nil {
		p.mu.Unlock()
		return w, err
	}
	p.starting()
	p.mu.Unlock()
	return p.start(ctx)
}

// patience is how long a render waits for a busy worker before it starts
// another, with p.mu held: as long as the last start took, up to
// maxPatience, and at least Options.Spawn.
func (p *Pool) patience() time.Duration {
	return max(p.opts.Spawn, min(p.lastStart, maxPatience))
}

// maxPatience bounds the wait a start's time sets: the start measured is
// the last, which a quiet pool may keep for hours, and one taken on a
// machine that was swapping then should not hold renders back for as
// long now. A worker starts in 40 to 400 ms.
const maxPatience = time.Second

// takeIdle pops the worker used last, if any, with p.mu held; it fails
// once the pool is closed.
func (p *Pool) takeIdle() (*worker, bool, error) {
	if p.closed {
		return nil, false, errClosed
	}
	n := len(p.idle)
	if n == 0 {
		return nil, false, nil
	}
	w := p.idle[n-1]
	p.idle = p.idle[:n-1]
	w.stopIdle()
	return w, true, nil
}

// handed returns the worker a finished render handed over, or, for nil
// (a worker was killed, which frees its place), starts one.
func (p *Pool) handed(ctx context.Context, w *worker) (*worker, error) {
	if w != nil {
		return w, nil
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errClosed
	}
	p.starting()
	p.mu.Unlock()
	return p.start(ctx)
}

// pass hands what a render that no longer wants it was handed, a worker
// or the place of one, to the next.
func (p *Pool) pass(w *worker) {
	if w != nil {
		p.put(w)
		return
	}
	p.mu.Lock()
	p.handOver(nil)
	p.mu.Unlock()
}

// handOver gives w, a worker or (nil) the place of one, to the render that
// has waited longest, with p.mu held, and reports whether one waited.
func (p *Pool) handOver(w *worker) bool {
	if len(p.waiting) == 0 {
		return false
	}
	ch := p.waiting[0]
	p.waiting = p.waiting[1:]
	ch <- w
	return true
}

// starting counts a worker about to start, with p.mu held.
func (p *Pool) starting() {
	p.live++
	p.booting++
}

// start starts a worker that starting counted, and waits until it is
// ready or ctx ends.
func (p *Pool) start(ctx context.Context) (*worker, error) {
	began := time.Now()
	w, err := startWorker(p.argv, p.opts.Limits)
	if err == nil && p.started != nil {
		p.started(w)
	}
	if err == nil {
		if err = w.ready(ctx, p.opts.Limits, p.build); err != nil {
			w.stop()
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.booting--
	if err != nil {
		p.freeLocked()
		return nil, err
	}
	p.lastStart = time.Since(began)
	return w, nil
}

// unwait removes ch from the waiting renders, with p.mu held, and reports
// whether it was still there.
func (p *Pool) unwait(ch chan *worker) bool {
	for i, c := range p.waiting {
		if c == ch {
			p.waiting = append(p.waiting[:i], p.waiting[i+1:]...)
			return true
		}
	}
	return false
}

// put hands a healthy worker to the render that has waited longest, or
// keeps it for the next; it exits when no render wants it within the
// idle time.
func (p *Pool) put(w *worker) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
		p.live--
		go w.kill()
	case p.handOver(w):
	default:
		p.idle = append(p.idle, w)
		w.idleTimer = time.AfterFunc(p.opts.Idle, func() { p.retire(w) })
	}
}

// discard kills a worker that failed a render, and waits for it to exit:
// a command whose render failed or was cancelled may return at once, and
// should leave no worker running.
func (p *Pool) discard(w *worker) {
	w.stop()
	p.mu.Lock()
	p.freeLocked()
	p.mu.Unlock()
}

// freeLocked gives up the place of a worker that is gone, with p.mu held:
// the render that has waited longest starts a worker in its place rather
// than wait out its patience.
func (p *Pool) freeLocked() {
	p.live--
	p.handOver(nil)
}

// retire stops w, idle for Options.Idle, unless it is one of the
// Options.Keep workers the pool keeps.
func (p *Pool) retire(w *worker) {
	p.mu.Lock()
	if p.live <= p.opts.Keep {
		p.mu.Unlock()
		return
	}
	for i, x := range p.idle {
		if x == w {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			p.live--
			p.mu.Unlock()
			w.kill()
			return
		}
	}
	p.mu.Unlock()
}

// Close stops the idle workers and waits for them to exit, and the renders
// waiting for one fail; renders under way finish first and their workers
// stop then.
func (p *Pool) Close() {
	p.mu.Lock()
	idle, waiting := p.idle, p.waiting
	p.idle, p.waiting, p.closed = nil, nil, true
	p.live -= len(idle)
	p.mu.Unlock()
	for _, ch := range waiting {
		ch <- nil
	}
	for _, w := range idle {
		w.stopIdle()
		w.kill()
	}
	// Wait for them to exit, so that a command that closes its pool and
	// returns leaves no worker behind, still holding the worker binary
	// open (a replaced binary would then fail with "text file busy").
	deadline := time.NewTimer(reapWait)
	defer deadline.Stop()
	for _, w := range idle {
		if !w.wait(deadline) {
			return
		}
	}
}

// reapWait bounds how long the pool waits for the workers it killed to be
// reaped: a killed worker exits within milliseconds, unless something
// else holds its output open.
const reapWait = 5 * time.Second

// Workers is the number of worker processes alive, idle or busy.
func (p *Pool) Workers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.live
}
