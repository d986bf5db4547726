// Package sandbox runs renders of untrusted repositories in child
// processes of the capstan binary, under limits of time, memory, stack,
// output size and object count that the content being rendered cannot
// lift. A render that breaks a limit ends with an error naming the limit;
// a worker that dies (a Go fatal error such as a stack overflow, which no
// recover can catch) takes down only itself and the render it was doing.
package sandbox

import (
	"fmt"
	"runtime"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Limits bound one render.
type Limits struct {
	// Timeout is the wall-clock time one render may take; the worker is
	// killed when it is up.
	Timeout time.Duration
	// Memory caps the worker's data segment (RLIMIT_DATA), in bytes: the
	// Go heap and goroutine stacks live there, so an allocation past it
	// kills the worker.
	Memory int64
	// Stack is the largest a goroutine's stack may grow, in bytes.
	Stack int64
	// Output is the largest rendered output, in bytes of JSON, that a
	// render may return.
	Output int64
	// Objects is the most objects one render may return.
	Objects int
}

// DefaultLimits are the limits of a render unless an operator sets others.
// They are far above what real applications need (the largest charts
// render a few MiB) and low enough that a hostile repository cannot take
// the controller's memory or a worker for long.
func DefaultLimits() Limits {
	return Limits{
		Timeout: 90 * time.Second,
		Memory:  1 << 30,
		Stack:   64 << 20,
		Output:  64 << 20,
		Objects: 10000,
	}
}

// Options configure a Pool.
type Options struct {
	Limits
	// Workers is the most renders run at once, each in its own process.
	Workers int
	// Idle is how long an unused worker is kept before it exits.
	Idle time.Duration
	// Keep is how many workers stay past Idle: the next render after a
	// quiet spell then waits for no start, and no start's burst of
	// memory comes on top of a controller busy with what woke it.
	Keep int
	// Spawn is the least a render waits for a busy worker before it
	// starts another (up to Workers): it waits as long as the last
	// worker's start took, up to a second, when that was longer. 0
	// starts one at once.
	Spawn time.Duration
	// Isolation is "process" (the default) or "none", which renders in
	// the controller's own process without limits.
	Isolation string
}

// DefaultOptions are the options of a Pool unless flags say otherwise.
// A render is CPU work on files already fetched, so more workers than the
// process may use CPUs render no faster, and each worker is a process of
// its own memory: as many as GOMAXPROCS (the CPUs, or the container's CPU
// limit), at most 4, and each only once a render has waited for a busy
// one 100 ms, or as long as a start took (a small directory renders in
// 0.2 to 2 ms of a worker's CPU, and a render is a small part of a sync).
func DefaultOptions() Options {
	return Options{Limits: DefaultLimits(), Workers: min(4, runtime.GOMAXPROCS(0)), Idle: time.Minute, Keep: 1, Spawn: 100 * time.Millisecond, Isolation: IsolationProcess}
}

// The isolation modes.
const (
	IsolationProcess = "process"
	IsolationNone    = "none"
)

// BindFlags registers the render limits as flags.
func (o *Options) BindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Isolation, "render-isolation", o.Isolation, `where renders run: "process" (child processes under limits) or "none" (in the controller, without limits; only for trusted repositories)`)
	fs.IntVar(&o.Workers, "render-workers", o.Workers, "renders run at once, each in a child process")
	fs.IntVar(&o.Keep, "render-workers-kept", o.Keep, "render workers kept past a minute unused, so that a render after a quiet spell waits for no start (0: every idle worker exits)")
	fs.DurationVar(&o.Timeout, "render-timeout", o.Timeout, "wall-clock time one render may take")
	fs.Var(newQuantity(&o.Memory), "render-memory-limit", "memory one render may use (e.g. 1Gi)")
	fs.Var(newQuantity(&o.Output), "render-max-output", "largest output of one render (e.g. 64Mi)")
	fs.IntVar(&o.Objects, "render-max-objects", o.Objects, "most objects one render may produce")
}

// Validate reports options that cannot work.
func (o Options) Validate() error {
	switch o.Isolation {
	case IsolationProcess, IsolationNone:
	default:
		return fmt.Errorf("--render-isolation %q: want %q or %q", o.Isolation, IsolationProcess, IsolationNone)
	}
	switch {
	case o.Workers < 1:
		return fmt.Errorf("--render-workers %d: want at least 1", o.Workers)
	case o.Keep < 0 || o.Keep > o.Workers:
		return fmt.Errorf("--render-workers-kept %d: want 0 to --render-workers (%d)", o.Keep, o.Workers)
	case o.Spawn < 0:
		return fmt.Errorf("render workers' spawn delay %s: want 0 or more", o.Spawn)
	case o.Timeout <= 0:
		return fmt.Errorf("--render-timeout %s: want a positive duration", o.Timeout)
	case o.Memory < 64<<20:
		return fmt.Errorf("--render-memory-limit %d: want at least 64Mi", o.Memory)
	case o.Output <= 0 || o.Objects <= 0:
		return fmt.Errorf("--render-max-output and --render-max-objects must be positive")
	}
	return nil
}

// quantity is a byte count flag written as a Kubernetes quantity.
type quantity struct{ v *int64 }

func newQuantity(v *int64) *quantity { return &quantity{v} }

func (q *quantity) String() string {
	if q.v == nil {
		return ""
	}
	return resource.NewQuantity(*q.v, resource.BinarySI).String()
}

func (q *quantity) Set(s string) error {
	v, err := resource.ParseQuantity(s)
	if err != nil {
		return err
	}
	*q.v = v.Value()
	return nil
}

func (q *quantity) Type() string { return "quantity" }
