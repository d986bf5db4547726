package cli

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// TestControllerStartsARenderWorkerFirst runs `capstan controller` where
// no Application asks for a render: its first render worker starts
// anyway, as the controller starts, and stays, so that the first render
// starts none on top of a controller whose caches are full.
func TestControllerStartsARenderWorkerFirst(t *testing.T) {
	r := startCommand(t, "controller", "warm", "argocd-warm", "--leader-elect=false")
	var workers []int
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		workers = renderWorkers(r.cmd.Process.Pid)
		return len(workers) > 0, nil
	})
	if err != nil {
		log, _ := os.ReadFile(r.log)
		t.Fatalf("no render worker started by the controller:\n%s", log)
	}
	// Past the pool's idle minute it would still be there; a few seconds
	// show that it is kept idle, not started and stopped.
	time.Sleep(3 * time.Second)
	if again := renderWorkers(r.cmd.Process.Pid); len(again) != 1 || again[0] != workers[0] {
		t.Errorf("render workers %v, then %v: want the first one kept, alone", workers, again)
	}
}

// renderWorkers lists the children of pid that run capstan's render
// worker command.
func renderWorkers(pid int) []int {
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	var out []int
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, field := range strings.Fields(string(b)) {
			child, err := strconv.Atoi(field)
			if err != nil {
				continue
			}
			cmdline, _ := os.ReadFile("/proc/" + field + "/cmdline")
			if args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00"); args[len(args)-1] == renderWorkerCommand {
				out = append(out, child)
			}
		}
	}
	return out
}
