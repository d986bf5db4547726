package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/render"
)

// testPool is a pool of this test binary's workers with tight limits, so
// that hostile renders hit them quickly.
func testPool(t *testing.T, edit func(*Options)) *Pool {
	t.Helper()
	o := DefaultOptions()
	o.Workers = 1
	o.Timeout = 20 * time.Second
	o.Memory = 256 << 20
	o.Stack = 16 << 20
	if edit != nil {
		edit(&o)
	}
	return benchPool(t, o)
}

func benchPool(t testing.TB, o Options) *Pool {
	t.Helper()
	return poolOf(t, o, os.Args[0])
}

// poolOf is a pool of workers running argv, closed when the test ends.
func poolOf(t testing.TB, o Options, argv ...string) *Pool {
	t.Helper()
	p, err := NewPool(o, argv...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// repo writes files into a new directory and returns a request for the
// Application at path app in it.
func repo(t *testing.T, files map[string]string) render.Request { return repoB(t, files) }

func repoB(t testing.TB, files map[string]string) render.Request {
	t.Helper()
	root := t.TempDir()
	for name, data := range files {
		path := filepath.Join(root, "app", name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return render.Request{AppName: "app", Root: root, Namespace: "team", Source: v1alpha1.ApplicationSource{RepoURL: "https://git.example/repo.git", Path: "app"}}
}

const configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  n: \"%d\"\n"

func configMaps(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "---\n"+configMap, fmt.Sprintf("cm-%d", i), i)
	}
	return b.String()
}

// A healthy worker renders what render.Build renders, and serves the next
// render too.
func TestPoolRendersAndReusesWorkers(t *testing.T) {
	p := testPool(t, nil)
	req := repo(t, map[string]string{"cms.yaml": configMaps(3)})
	want, err := render.Build(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got, err := p.Build(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Objects) != len(want.Objects) || got.Type != want.Type {
			t.Fatalf("got %d objects of type %q, want %d of %q", len(got.Objects), got.Type, len(want.Objects), want.Type)
		}
		for i := range want.Objects {
			if g, w := got.Objects[i].Object, want.Objects[i].Object; fmt.Sprint(g) != fmt.Sprint(w) {
				t.Errorf("object %d: got %v, want %v", i, g, w)
			}
		}
		if got.Objects[0].GetNamespace() != "" {
			t.Errorf("namespace was defaulted in the worker: %q", got.Objects[0].GetNamespace())
		}
	}
	if n := p.Workers(); n != 1 {
		t.Errorf("%d workers alive after two renders in a row, want the one reused", n)
	}
}

// Each hostile render ends with an error that names the limit it broke,
// and the pool renders the next good request as if nothing happened.
func TestPoolLimits(t *testing.T) {
	good := repo(t, map[string]string{"cm.yaml": configMaps(1)})
	for _, tc := range []struct {
		name  string
		files map[string]string
		edit  func(*Options)
		want  string
	}{{
		// go-jsonnet evaluates tailstrict calls on the Go stack: without
		// a worker this ends the whole process with a fatal error.
		name:  "jsonnet endless tailstrict recursion",
		files: map[string]string{"main.jsonnet": "local f(x) = if x > 1e12 then {} else f(x + 1) tailstrict; f(0)"},
		want:  "stack limit",
	}, {
		name:  "helm template allocating without bound",
		files: map[string]string{"Chart.yaml": "apiVersion: v2\nname: big\nversion: 0.1.0\n", "templates/cm.yaml": "{{ $l := until 400000000 }}" + configMap},
		want:  "memory limit",
	}, {
		name:  "jsonnet loop longer than the timeout",
		files: map[string]string{"main.jsonnet": "std.length([x for x in std.range(1, 200000000) if x < 0])"},
		edit:  func(o *Options) { o.Timeout = 2 * time.Second; o.Memory = 4 << 30 },
		want:  "longer than 2s",
	}, {
		name:  "too many objects",
		files: map[string]string{"cms.yaml": configMaps(11)},
		edit:  func(o *Options) { o.Objects = 10 },
		want:  "11 objects, over the limit of 10",
	}, {
		name:  "output too large",
		files: map[string]string{"cms.yaml": configMaps(2000)},
		edit:  func(o *Options) { o.Output = 64 << 10 },
		want:  "over the limit of 65536 bytes",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			p := testPool(t, tc.edit)
			_, err := p.Build(context.Background(), repo(t, tc.files))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
			if _, err := p.Build(context.Background(), good); err != nil {
				t.Fatalf("the next render failed: %v", err)
			}
		})
	}
}

// A cancelled context stops the render at once and kills its worker.
func TestPoolCancel(t *testing.T) {
	p := testPool(t, func(o *Options) { o.Memory = 4 << 30 })
	req := repo(t, map[string]string{"main.jsonnet": "std.length([x for x in std.range(1, 200000000) if x < 0])"})
	started := make(chan *worker, 1)
	p.started = func(w *worker) { started <- w }
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	_, err := p.Build(ctx, req)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	// Its worker has exited and been reaped by then: a command whose
	// render was cancelled returns leaving no worker running.
	select {
	case <-(<-started).done:
	default:
		t.Error("the cancelled render returned before its worker was reaped")
	}
}

// A render error inside a worker comes back as the same message, and the
// worker stays in use.
func TestPoolRenderError(t *testing.T) {
	p := testPool(t, nil)
	req := repo(t, map[string]string{"bad.yaml": "kind: [\n"})
	_, want := render.Build(context.Background(), req)
	_, err := p.Build(context.Background(), req)
	if err == nil || want == nil || err.Error() != want.Error() {
		t.Fatalf("got %v, want %v", err, want)
	}
	if n := p.Workers(); n != 1 {
		t.Errorf("%d workers after a render error, want 1 kept", n)
	}
}

// endless is a render that lasts seconds, far longer than the tests that
// start it let it run: each cancels it.
const endless = "std.length([x for x in std.range(1, 200000000) if x < 0])"

// busy starts an endless render and returns once its worker is the only
// one alive, with the function that cancels it and waits for its end.
func busy(t *testing.T, p *Pool) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	req := repo(t, map[string]string{"main.jsonnet": endless})
	go func() {
		_, err := p.Build(ctx, req)
		done <- err
	}()
	waitFor(t, "the endless render's worker", func() bool { return p.Workers() == 1 })
	return func() {
		t.Helper()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("the endless render ended with %v, want context.Canceled", err)
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 30s", what)
		}
	}
}

func (p *Pool) waiters() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waiting)
}

// renderAtOnce renders req on p n times in each of k goroutines started
// at once, and fails t on the first error.
func renderAtOnce(t *testing.T, p *Pool, req render.Request, k, n int) {
	t.Helper()
	errs := make(chan error, k)
	for range k {
		go func() {
			for range n {
				if _, err := p.Build(context.Background(), req); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range k {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// Quick renders share one worker, however many run at once, while none
// waits as long as Spawn: each process costs memory, and one serves
// them all.
func TestPoolSharesOneWorkerAmongQuickRenders(t *testing.T) {
	p := testPool(t, func(o *Options) { o.Workers, o.Spawn = 4, time.Minute })
	renderAtOnce(t, p, repo(t, map[string]string{"cms.yaml": configMaps(5)}), 8, 5)
	if n := p.Workers(); n != 1 {
		t.Errorf("%d workers after 40 quick renders, 8 at a time, want 1", n)
	}
}

// A render that finds every worker busy past Spawn starts another, and
// ends while the slow one goes on.
func TestPoolStartsAnotherWorkerPastSpawn(t *testing.T) {
	p := testPool(t, func(o *Options) { o.Workers, o.Spawn, o.Memory = 2, 50*time.Millisecond, 4<<30 })
	stop := busy(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := p.Build(ctx, repo(t, map[string]string{"cm.yaml": configMaps(1)})); err != nil {
		t.Fatalf("render beside a busy worker: %v", err)
	}
	if n := p.Workers(); n != 2 {
		t.Errorf("%d workers beside the busy one, want 2", n)
	}
	stop()
	if n := p.Workers(); n != 1 {
		t.Errorf("%d workers after the busy one was stopped, want the other kept", n)
	}
}

// A render that finds every worker busy waits for one as long as the last
// start took, when that is longer than Spawn, before it starts another:
// having to wait for its own worker's start, it would be served no sooner.
func TestPoolWaitsAsLongAsAStartTook(t *testing.T) {
	o := DefaultOptions()
	// A start takes over a second here, twenty times Spawn, so the wait
	// is maxPatience.
	o.Workers, o.Spawn, o.Timeout, o.Memory, o.Stack = 2, 50*time.Millisecond, 20*time.Second, 4<<30, 16<<20
	p := poolOf(t, o, "/bin/sh", "-c", `sleep 1; exec "$0"`, os.Args[0])
	started, stop := busyWarmed(t, p, nil)
	began := time.Now()
	done := waitingRender(t, p)
	select {
	case second := <-started:
		if d := second.Sub(began); d < maxPatience {
			t.Errorf("the render behind a busy worker started another %s into its wait, want %s: a start took over a second", d, maxPatience)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the render behind a busy worker started none in 30 s")
	}
	if err := <-done; err != nil {
		t.Fatalf("render beside a busy worker: %v", err)
	}
	if n := p.Workers(); n != 2 {
		t.Errorf("%d workers once the render ended, want the busy one and the one it started", n)
	}
	stop()
}

// The wait a start's time sets is bounded: a start measured long ago on
// a struggling machine does not hold renders back for as long.
func TestPoolWaitIsBounded(t *testing.T) {
	p := testPool(t, func(o *Options) { o.Workers, o.Spawn, o.Memory = 2, 50*time.Millisecond, 4<<30 })
	started, stop := busyWarmed(t, p, func() { p.lastStart = time.Hour })
	began := time.Now()
	done := waitingRender(t, p)
	// Well past maxPatience, and short of the busy render's end (it
	// breaks the memory limit some seconds in).
	const bound = 5 * time.Second
	select {
	case second := <-started:
		if d := second.Sub(began); d > bound {
			t.Errorf("the render behind a busy worker started another %s into its wait, want by %s", d, bound)
		}
	case <-time.After(bound):
		t.Errorf("the render behind a busy worker started none in %s, the last start an hour long", bound)
	}
	if err := <-done; err != nil {
		t.Fatalf("render beside a busy worker: %v", err)
	}
	stop()
}

// busyWarmed warms p, runs warmed (if any) with p.mu held, and starts an
// endless render on the warmed worker. It returns once that render holds
// the worker, with the times of the workers started after the warmed
// one, and the function that stops the render.
func busyWarmed(t *testing.T, p *Pool, warmed func()) (started <-chan time.Time, stop func()) {
	t.Helper()
	starts := make(chan time.Time, 2)
	p.started = func(*worker) { starts <- time.Now() }
	if err := p.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-starts
	if warmed != nil {
		p.mu.Lock()
		warmed()
		p.mu.Unlock()
	}
	stop = busy(t, p)
	waitFor(t, "the endless render to take the warmed worker", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.idle) == 0
	})
	return starts, stop
}

// waitingRender starts a render of one ConfigMap, bounded by 30 s, and
// returns once it waits for a busy worker, with the channel its end is
// sent to.
func waitingRender(t *testing.T, p *Pool) <-chan error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	done := make(chan error, 1)
	req := repo(t, map[string]string{"cm.yaml": configMaps(1)})
	go func() {
		_, err := p.Build(ctx, req)
		done <- err
	}()
	waitFor(t, "a render waiting for the busy worker", func() bool { return p.waiters() == 1 })
	return done
}

// A render waiting for a worker that is killed takes its place at once,
// rather than wait out Spawn (an hour here).
func TestPoolWaiterReplacesAKilledWorker(t *testing.T) {
	p := testPool(t, func(o *Options) { o.Workers, o.Spawn, o.Memory = 2, time.Hour, 4<<30 })
	stop := busy(t, p)
	done := waitingRender(t, p)
	stop()
	if err := <-done; err != nil {
		t.Fatalf("the waiting render: %v", err)
	}
	if n := p.Workers(); n != 1 {
		t.Errorf("%d workers, want the one started in the killed one's place", n)
	}
}

// A waiting render ends when its context does, or when the pool closes,
// and leaves no trace in the pool.
func TestPoolWaiterEnds(t *testing.T) {
	p := testPool(t, func(o *Options) { o.Workers, o.Spawn, o.Memory = 3, time.Hour, 4<<30 })
	stop := busy(t, p)
	req := repo(t, map[string]string{"cm.yaml": configMaps(1)})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() {
		_, err := p.Build(ctx, req)
		done <- err
	}()
	waitFor(t, "a render waiting for the busy worker", func() bool { return p.waiters() == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled waiting render: %v, want context.Canceled", err)
	}
	if n := p.waiters(); n != 0 {
		t.Errorf("%d renders still waiting after the only one was cancelled", n)
	}

	go func() {
		_, err := p.Build(context.Background(), req)
		done <- err
	}()
	waitFor(t, "a render waiting for the busy worker", func() bool { return p.waiters() == 1 })
	p.Close()
	if err := <-done; !errors.Is(err, errClosed) {
		t.Errorf("waiting render when the pool closed: %v, want %v", err, errClosed)
	}
	stop()
	if n := p.Workers(); n != 0 {
		t.Errorf("%d workers alive after Close and the last render, want 0", n)
	}
}

// Idle workers exit after Options.Idle but for the Options.Keep the pool
// keeps.
func TestPoolKeepsWorkersPastIdle(t *testing.T) {
	// Long enough that the second render starts while the first runs.
	req := repo(t, map[string]string{"main.jsonnet": "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'slow'}, data: {n: std.toString(std.length([x for x in std.range(1, 500000) if x < 0]))}}"})
	for _, keep := range []int{0, 1} {
		// Spawn 0: a render that finds no idle worker starts one at once,
		// so the two renders below leave two workers idle.
		p := testPool(t, func(o *Options) { o.Idle, o.Keep, o.Workers, o.Spawn, o.Memory = time.Second, keep, 2, 0, 4<<30 })
		errs := make(chan error, 2)
		for range 2 {
			go func() {
				_, err := p.Build(context.Background(), req)
				errs <- err
			}()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if n := p.Workers(); n != 2 {
			t.Fatalf("Keep %d: %d workers after two renders at once, want 2", keep, n)
		}
		waitFor(t, fmt.Sprintf("Keep %d: workers past their idle time to exit", keep), func() bool { return p.Workers() <= keep })
		time.Sleep(500 * time.Millisecond)
		if n := p.Workers(); n != keep {
			t.Errorf("Keep %d: %d workers alive well past the idle time, want %d", keep, n, keep)
		}
	}
}

// Close returns once its idle workers have exited and been reaped: a
// command that closes its pool leaves no worker running the worker binary.
func TestPoolCloseReapsIdleWorkers(t *testing.T) {
	p := testPool(t, nil)
	if _, err := p.Build(context.Background(), repo(t, map[string]string{"cm.yaml": configMaps(1)})); err != nil {
		t.Fatal(err)
	}
	w := idleWorker(t, p)
	p.Close()
	select {
	case <-w.done:
	default:
		t.Error("Close returned before its idle worker was reaped")
	}
	if err := syscall.Kill(w.cmd.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("worker %d after Close: signal 0 gave %v, want ESRCH (exited and reaped)", w.cmd.Process.Pid, err)
	}
}

// idleWorker is the one worker p holds idle.
func idleWorker(t *testing.T, p *Pool) *worker {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) != 1 {
		t.Fatalf("%d idle workers, want 1", len(p.idle))
	}
	return p.idle[0]
}

// A worker gets a bare environment, not the controller's, and runs on one
// runtime processor whatever the controller's GOMAXPROCS.
func TestWorkerEnvironment(t *testing.T) {
	t.Setenv("KUBECONFIG", "/controller/kubeconfig")
	t.Setenv("GOMAXPROCS", "4")
	t.Setenv("HOME", "/home/capstan")
	p := testPool(t, nil)
	if _, err := p.Build(context.Background(), repo(t, map[string]string{"cm.yaml": configMaps(1)})); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", idleWorker(t, p).cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for kv := range strings.SplitSeq(strings.TrimSuffix(string(data), "\x00"), "\x00") {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for k, want := range map[string]string{"GOMAXPROCS": "1", "HOME": "/home/capstan", EnvWorker: "1", "KUBECONFIG": ""} {
		if env[k] != want {
			t.Errorf("worker's %s=%q, want %q", k, env[k], want)
		}
	}
}

// Renders that wait while the only worker is still starting wait for it,
// however long past Spawn its start takes: a start costs more CPU than a
// quick render, and on a busy machine takes longer than Spawn.
func TestPoolWaitsForAStartingWorker(t *testing.T) {
	o := DefaultOptions()
	// Spawn is well past a render, even a worker's first, and well short
	// of a worker's start, which takes a second here.
	o.Workers, o.Spawn, o.Timeout, o.Memory = 4, 200*time.Millisecond, 20*time.Second, 4<<30
	p, err := NewPool(o, "/bin/sh", "-c", `sleep 1; exec "$0"`, os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	renderAtOnce(t, p, repo(t, map[string]string{"cms.yaml": configMaps(5)}), 8, 1)
	if n := p.Workers(); n != 1 {
		t.Errorf("%d workers after 8 renders that came while the first started, want 1", n)
	}
}

// A worker that never says it is ready, or exits before, fails the render
// that started it with the reason, and leaves its place free.
func TestPoolWorkerThatDoesNotStart(t *testing.T) {
	for _, tt := range []struct {
		name, script, want string
	}{
		{"too slow", "sleep 30", "did not start within 300ms"},
		{"exits", "echo 'cannot map the binary' >&2; exit 3", "cannot map the binary"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			o.Workers, o.Timeout = 1, 300*time.Millisecond
			p, err := NewPool(o, "/bin/sh", "-c", tt.script)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(p.Close)
			_, err = p.Build(context.Background(), repo(t, map[string]string{"cm.yaml": configMaps(1)}))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("render: %v, want an error saying %q", err, tt.want)
			}
			if n := p.Workers(); n != 0 {
				t.Errorf("%d workers counted after the failed start, want 0", n)
			}
		})
	}
}

// A render whose context ends while its worker starts ends then, and the
// worker's place is freed.
func TestPoolCancelWhileAWorkerStarts(t *testing.T) {
	o := DefaultOptions()
	o.Workers, o.Timeout = 1, time.Minute
	p, err := NewPool(o, "/bin/sh", "-c", "sleep 30")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err = p.Build(ctx, repo(t, map[string]string{"cm.yaml": configMaps(1)}))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("render: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Errorf("the render ended %s after it began, want soon after its context", d)
	}
	if n := p.Workers(); n != 0 {
		t.Errorf("%d workers counted after the cancelled start, want 0", n)
	}
}

// Warm starts one worker when none is alive and keeps it idle; the next
// render takes it and starts none, and a second Warm starts none either.
// A closed pool refuses to warm.
func TestPoolWarm(t *testing.T) {
	p := testPool(t, nil)
	var starts atomic.Int32
	p.started = func(*worker) { starts.Add(1) }
	for range 2 {
		if err := p.Warm(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := starts.Load(); n != 1 {
		t.Fatalf("%d workers started by two Warms, want 1", n)
	}
	w := idleWorker(t, p)
	if _, err := p.Build(context.Background(), repo(t, map[string]string{"cm.yaml": configMaps(1)})); err != nil {
		t.Fatal(err)
	}
	if n := starts.Load(); n != 1 {
		t.Errorf("%d workers started by Warm and a render, want the warmed one only", n)
	}
	if got := idleWorker(t, p); got != w {
		t.Errorf("the render left worker %d idle, not the warmed worker %d", got.cmd.Process.Pid, w.cmd.Process.Pid)
	}
	p.Close()
	if err := p.Warm(context.Background()); !errors.Is(err, errClosed) {
		t.Errorf("Warm of a closed pool: %v, want %v", err, errClosed)
	}
}
