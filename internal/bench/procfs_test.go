package bench

import (
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"
)

// capstan's render workers are its children: the figures must count them.
func TestProcessFiguresCountChildren(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	if got := children(os.Getpid()); !slices.Contains(got, cmd.Process.Pid) {
		t.Fatalf("children of the test = %v, want %d among them", got, cmd.Process.Pid)
	}
	child, err := readKB("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	self, err := readKB("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	all, err := processMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// The test's own RSS moves a little between the two reads.
	if want := self["VmRSS"]*9/10 + child["VmRSS"]; child["VmRSS"] == 0 || all.RSS < want {
		t.Errorf("RSS of the tree %d, want at least %d (the child's %d included)", all.RSS, want, child["VmRSS"])
	}
	if all.Workers == 0 || all.SelfRSS >= all.RSS {
		t.Errorf("tree of %d workers, own RSS %d of %d: the child is not told apart", all.Workers, all.SelfRSS, all.RSS)
	}
	// Pages the test and the child share count once in PSS, once per
	// process in RSS; what neither shares counts in both.
	if all.PSS == 0 || all.PSS > all.RSS {
		t.Errorf("PSS of the tree %d, want above 0 and at most its RSS %d", all.PSS, all.RSS)
	}
	if _, err := cpuSeconds(os.Getpid()); err != nil {
		t.Fatal(err)
	}
}

// A split is the difference of two readings, a process started in
// between counting from zero, and prints both sides by the cold sync's
// largest first, with totals.
func TestCPUSplit(t *testing.T) {
	before := cpuReading{"kube-apiserver": 10, "etcd": 2, cpuBenchmark: 1}
	after := cpuReading{"kube-apiserver": 40, "etcd": 9, cpuBenchmark: 1.5, cpuCapstan: 12}
	cold := after.since(before)
	if cold["kube-apiserver"] != 30 || cold["etcd"] != 7 || cold[cpuBenchmark] != 0.5 || cold[cpuCapstan] != 12 {
		t.Fatalf("since = %v", cold)
	}
	ceiling := map[string]float64{"kube-apiserver": 20, "etcd": 5, cpuBenchmark: 3}
	want := "kube-apiserver 20.0 | 30.0, capstan 0.0 | 12.0, etcd 5.0 | 7.0, benchmark 3.0 | 0.5, total 28.0 | 49.5"
	if got := cpuSplitOf(ceiling, cold); got != want {
		t.Errorf("cpuSplitOf =\n%s, want\n%s", got, want)
	}
}

// OwnCPUSeconds counts the process alone: the test's busy loop shows in
// it (however loaded the machine, the loop runs until it does), and it is
// never more than the process with its children.
func TestOwnCPUSeconds(t *testing.T) {
	before, err := OwnCPUSeconds(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	after := before
	for deadline := time.Now().Add(time.Minute); after-before < 0.2 && time.Now().Before(deadline); {
		for range 1_000_000 {
			runtime.Gosched()
		}
		if after, err = OwnCPUSeconds(os.Getpid()); err != nil {
			t.Fatal(err)
		}
	}
	withChildren, err := cpuSeconds(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after-before < 0.2 || after > withChildren {
		t.Errorf("own CPU %.2f s then %.2f s after a minute of busy loop, with children %.2f s", before, after, withChildren)
	}
}

// children remembers the processes it saw with another parent, and still
// finds a child started after it looked.
func TestChildrenFindsANewChild(t *testing.T) {
	before := children(os.Getpid())
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if slices.Contains(before, cmd.Process.Pid) {
		t.Fatalf("children before the start already hold %d", cmd.Process.Pid)
	}
	if got := children(os.Getpid()); !slices.Contains(got, cmd.Process.Pid) {
		t.Fatalf("children of the test = %v, want %d among them", got, cmd.Process.Pid)
	}
	strangers.Lock()
	n := len(strangers.of[os.Getpid()])
	strangers.Unlock()
	if n == 0 {
		t.Errorf("no process remembered with another parent")
	}
}
