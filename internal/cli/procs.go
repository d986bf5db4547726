package cli

import (
	"os"
	"runtime"

	"github.com/go-logr/logr"
)

// controllerProcs is how many goroutines the controller's Go runtime runs
// at once (GOMAXPROCS), given the number Go chose (the machine's CPUs, or
// its container's CPU limit): half of them, rounded up.
//
// The controller spends most of a sync waiting for the API server: a
// fifth of a core through W1's cold sync, which keeps two cores busy.
// A runtime processor it has no goroutine for still costs CPU: each time
// a goroutine becomes runnable (an answer arrives), the scheduler wakes a
// thread to look for work for the idle processors, and the thread parks
// again through a futex. That CPU is taken from the API server the
// controller waits on, or from the node's other Pods. On the 2-core
// machine one processor instead of two cut the controller's CPU in W1's
// cold sync by 8 to 17 %, against the same ceiling (docs/performance.md,
// "The controller on half the CPUs").
func controllerProcs(chosen int) int {
	return max(1, (chosen+1)/2)
}

// limitProcs sets GOMAXPROCS to controllerProcs of what Go chose, unless
// the environment sets GOMAXPROCS. It is set once: a CPU limit changed in
// place takes effect at the next start. What was derived from GOMAXPROCS
// before (the render workers' default, from the flags) keeps the number Go
// chose.
func limitProcs(log logr.Logger) {
	chosen := runtime.GOMAXPROCS(0)
	if os.Getenv("GOMAXPROCS") != "" {
		log.V(1).Info("processors set by GOMAXPROCS", "procs", chosen)
		return
	}
	n := controllerProcs(chosen)
	runtime.GOMAXPROCS(n)
	log.V(1).Info("processors set to half of the CPUs", "cpus", chosen, "procs", n)
}
