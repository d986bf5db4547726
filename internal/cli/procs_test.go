package cli

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

func TestControllerProcsIsHalfTheCPUs(t *testing.T) {
	for chosen, want := range map[int]int{1: 1, 2: 1, 3: 2, 4: 2, 7: 4, 16: 8} {
		if got := controllerProcs(chosen); got != want {
			t.Errorf("controllerProcs(%d) = %d, want %d", chosen, got, want)
		}
	}
}

// TestControllerRunsOnHalfTheCPUs runs `capstan controller` as a process:
// its Go runtime runs on half the CPUs Go chose for it, rounded up, as
// go_sched_gomaxprocs_threads on /metrics says, and GOMAXPROCS in the
// environment wins.
func TestControllerRunsOnHalfTheCPUs(t *testing.T) {
	// What Go chooses for a process of this machine (and cgroup) that
	// does not set GOMAXPROCS.
	chosen := runtime.GOMAXPROCS(0)
	if os.Getenv("GOMAXPROCS") != "" {
		chosen = runtime.NumCPU()
	}
	for _, tc := range []struct {
		name, env string
		want      float64
	}{
		{name: "half", want: float64(controllerProcs(chosen))},
		{name: "from the environment", env: "3", want: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Empty is unset, for Go and for capstan.
			t.Setenv("GOMAXPROCS", tc.env)
			r := startCommand(t, "controller", "procs", "argocd-procs", "--leader-elect=false")
			var got float64
			err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
				v, ok := r.metric("go_sched_gomaxprocs_threads", "")
				got = v
				return ok && v == tc.want, nil
			})
			if err != nil {
				log, _ := os.ReadFile(r.log)
				t.Fatalf("go_sched_gomaxprocs_threads = %v, want %v:\n%s", got, tc.want, log)
			}
			if err := r.stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
