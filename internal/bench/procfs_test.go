package bench

import (
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"
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
