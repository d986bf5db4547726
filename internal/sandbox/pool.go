package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"

	"github.com/capstan-cd/capstan/internal/render"
)

// Pool runs renders in worker processes, at most Options.Workers at once.
// A worker serves one render at a time and is kept for the next while it
// stays healthy; one that broke a limit, died or was interrupted is killed
// and replaced. Idle workers exit after Options.Idle.
type Pool struct {
	opts Options
	argv []string
	sem  chan struct{}

	mu     sync.Mutex
	idle   []*worker
	closed bool
}

// NewPool returns a Pool whose workers run argv (typically the capstan
// binary and its render-worker command) with EnvWorker set.
func NewPool(opts Options, argv ...string) (*Pool, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if len(argv) == 0 {
		return nil, errors.New("render worker command is empty")
	}
	return &Pool{opts: opts, argv: argv, sem: make(chan struct{}, opts.Workers)}, nil
}

// SelfPool returns a Pool whose workers are this very binary.
func SelfPool(opts Options, args ...string) (*Pool, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find capstan's binary for render workers: %w", err)
	}
	return NewPool(opts, append([]string{exe}, args...)...)
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
	w, err := p.take()
	if err != nil {
		return nil, err
	}
	resp, err := w.do(ctx, newRequest(req, p.opts.Limits), p.opts.Limits)
	if err != nil {
		w.kill()
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

// take returns an idle worker, or starts one.
func (p *Pool) take() (*worker, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errors.New("render pool is closed")
	}
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		w.stopIdle()
		return w, nil
	}
	p.mu.Unlock()
	return startWorker(p.argv, p.opts.Limits)
}

// put keeps a healthy worker for the next render; it exits when no render
// wants it within the idle time.
func (p *Pool) put(w *worker) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		go w.kill()
		return
	}
	p.idle = append(p.idle, w)
	w.idleTimer = time.AfterFunc(p.opts.Idle, func() { p.retire(w) })
}

func (p *Pool) retire(w *worker) {
	p.mu.Lock()
	for i, x := range p.idle {
		if x == w {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			p.mu.Unlock()
			w.kill()
			return
		}
	}
	p.mu.Unlock()
}

// Close stops the idle workers; renders under way finish first and their
// workers stop then.
func (p *Pool) Close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, w := range idle {
		w.stopIdle()
		w.kill()
	}
}

// Workers is the number of worker processes alive, idle or busy.
func (p *Pool) Workers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle) + len(p.sem)
}
