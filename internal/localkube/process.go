package localkube

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// pidsFile lists the processes of a cluster, in start order, so that Down can
// stop them from another process than the one that started them.
const pidsFile = "pids.json"

// Process is one component of a running cluster.
type Process struct {
	Name string `json:"name"`
	PID  int    `json:"pid"`
}

// Running reports whether the process is still there.
func (p Process) Running() bool { return alive(p.PID) }

// Processes lists the components of the cluster in dir, in start order.
func Processes(dir string) ([]Process, error) { return readPIDs(dir) }

// start runs one component with its output in DIR/<name>.log. The component
// gets its own session so that it outlives `localkube up`; with
// killWithParent it also dies with the process that started it, so a test
// binary that crashes leaves nothing running.
func start(dir, name, binary string, args []string, killWithParent bool) (*exec.Cmd, error) {
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log of %s: %w", name, err)
	}
	defer logFile.Close()
	cmd := exec.Command(binary, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if killWithParent {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", name, binary, err)
	}
	// Reap the child when it exits so that it does not linger as a zombie
	// while the starting process lives on (as a test binary does).
	go func() { _ = cmd.Wait() }()
	return cmd, nil
}

func writePIDs(dir string, procs []Process) error {
	data, err := json.Marshal(procs)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, pidsFile), data, 0o644)
}

func readPIDs(dir string) ([]Process, error) {
	data, err := os.ReadFile(filepath.Join(dir, pidsFile))
	if err != nil {
		return nil, err
	}
	var procs []Process
	if err := json.Unmarshal(data, &procs); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, pidsFile), err)
	}
	return procs, nil
}

// killedExitWait is how long stop waits for a process it killed to be
// gone before it reports it still running.
const killedExitWait = 30 * time.Second

// stop ends the processes in reverse start order: SIGTERM, then SIGKILL for
// any that is still there after the grace period.
func stop(procs []Process, grace time.Duration) error {
	var errs []error
	for i := len(procs) - 1; i >= 0; i-- {
		p := procs[i]
		if !alive(p.PID) {
			continue
		}
		_ = syscall.Kill(p.PID, syscall.SIGTERM)
		deadline := time.Now().Add(grace)
		for alive(p.PID) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if alive(p.PID) {
			_ = syscall.Kill(p.PID, syscall.SIGKILL)
			// A killed process still has to leave the kernel, which one in
			// uninterruptible sleep (blocked on I/O) does only once the I/O
			// returns: in a full test run on 2 cores, with the etcd of
			// every package's control plane writing, a kwok was still
			// there 5 s after its SIGKILL, and the package failed.
			deadline = time.Now().Add(killedExitWait)
			for alive(p.PID) && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
		}
		if alive(p.PID) {
			errs = append(errs, fmt.Errorf("%s (pid %d) is still running", p.Name, p.PID))
		}
	}
	return errors.Join(errs...)
}

// alive reports whether pid names a running process; a zombie, which has
// exited but not been reaped, counts as gone.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	for i := len(stat) - 1; i > 0; i-- {
		if stat[i] == ')' {
			return i+2 < len(stat) && stat[i+2] != 'Z'
		}
	}
	return true
}
