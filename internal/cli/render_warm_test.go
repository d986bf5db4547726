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
// anyway, ready before the controller's caches are filled, and stays, so
// that the first render starts none on top of a controller whose caches
// are full. With --render-workers-kept=0 none starts ahead.
func TestControllerStartsARenderWorkerFirst(t *testing.T) {
	r := startCommand(t, "controller", "warm", "argocd-warm", "--leader-elect=false")
	var workers []int
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		workers = renderWorkers(r.cmd.Process.Pid)
		log, _ := os.ReadFile(r.log)
		return len(workers) > 0 && strings.Contains(string(log), "released the binary's start-up pages"), nil
	})
	log, _ := os.ReadFile(r.log)
	if err != nil {
		t.Fatalf("no render worker started by the controller, or its caches never filled:\n%s", log)
	}
	ready, filled := strings.Index(string(log), "render worker ready"), strings.Index(string(log), "released the binary's start-up pages")
	if ready < 0 || ready > filled {
		t.Errorf("the worker was not ready before the caches were filled (at %d and %d of the log):\n%s", ready, filled, log)
	}
	// Past the pool's idle minute it would still be there; a few seconds
	// show that it is kept idle, not started and stopped.
	time.Sleep(3 * time.Second)
	if again := renderWorkers(r.cmd.Process.Pid); len(again) != 1 || again[0] != workers[0] {
		t.Errorf("render workers %v, then %v: want the first one kept, alone", workers, again)
	}

	cold := startCommand(t, "controller", "cold", "argocd-cold", "--leader-elect=false", "--render-workers-kept=0")
	err = wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		log, _ := os.ReadFile(cold.log)
		return strings.Contains(string(log), "released the binary's start-up pages"), nil
	})
	if err != nil {
		log, _ := os.ReadFile(cold.log)
		t.Fatalf("the caches of the controller with --render-workers-kept=0 never filled:\n%s", log)
	}
	if w := renderWorkers(cold.cmd.Process.Pid); len(w) != 0 {
		t.Errorf("--render-workers-kept=0: render workers %v started with no render to do", w)
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
