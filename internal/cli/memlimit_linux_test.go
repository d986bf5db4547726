package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/util/wait"
)

// memoryLimitHelperEnv makes the test binary a process that waits for a
// line on its standard input, then sets its memory limit as capstan does
// (limitMemory, reading the cgroup again every 50 ms) and prints the limit
// in force after each line that follows.
const memoryLimitHelperEnv = "CAPSTAN_TEST_MEMORY_LIMIT_HELPER"

func memoryLimitHelper() int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := bufio.NewScanner(os.Stdin)
	if !in.Scan() {
		return 1
	}
	fmt.Println(limitMemory(ctx, logr.Discard(), 50*time.Millisecond))
	for in.Scan() {
		// Wait for the refresh to see the new limit, or give up and
		// print the one in force.
		want, _ := strconv.ParseInt(in.Text(), 10, 64)
		for end := time.Now().Add(5 * time.Second); debug.SetMemoryLimit(-1) != want && time.Now().Before(end); {
			time.Sleep(20 * time.Millisecond)
		}
		fmt.Println(debug.SetMemoryLimit(-1))
	}
	return 0
}

// memoryCgroup makes a child of the memory cgroup this process is in, on
// the cgroup hierarchy the machine mounts (v2, or v1's memory controller),
// and returns its directory and the name of its limit file.
func memoryCgroup(t *testing.T) (dir, limitFile string) {
	t.Helper()
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	var parent string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] != "0" && strings.Contains(","+parts[1]+",", ",memory,"):
			parent, limitFile = filepath.Join("/sys/fs/cgroup/memory", parts[2]), "memory.limit_in_bytes"
		case parts[0] == "0" && parent == "":
			if c, err := os.ReadFile("/sys/fs/cgroup/cgroup.controllers"); err == nil && strings.Contains(" "+string(c)+" ", " memory ") {
				parent, limitFile = filepath.Join("/sys/fs/cgroup", parts[2]), "memory.max"
			}
		}
	}
	if parent == "" {
		t.Fatalf("no memory cgroup in /proc/self/cgroup:\n%s", data)
	}
	dir = filepath.Join(parent, fmt.Sprintf("capstan-test-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatalf("make a memory cgroup (run as root): %v", err)
	}
	t.Cleanup(func() {
		if err := os.Remove(dir); err != nil {
			t.Errorf("remove the cgroup %s: %v", dir, err)
		}
	})
	return dir, limitFile
}

// memoryLimitProcess starts the helper in the cgroup dir with env added,
// and returns a function that sends a line and reads the limit it prints.
func memoryLimitProcess(t *testing.T, dir string, env ...string) func(line string) int64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// GOMEMLIMIT and AUTOMEMLIMIT are the case's alone.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOMEMLIMIT=") && !strings.HasPrefix(kv, "AUTOMEMLIMIT=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, memoryLimitHelperEnv+"=1"), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		_ = cmd.Process.Kill()
		t.Fatalf("move the helper into %s: %v", dir, err)
	}
	out := bufio.NewScanner(stdout)
	return func(line string) int64 {
		t.Helper()
		if _, err := io.WriteString(stdin, line+"\n"); err != nil {
			t.Fatal(err)
		}
		if !out.Scan() {
			t.Fatalf("the helper printed nothing: %v", out.Err())
		}
		v, err := strconv.ParseInt(out.Text(), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestControllerTakesItsContainersMemoryLimit runs `capstan controller` in
// a memory cgroup of 512 MiB, as a container with that limit: its Go
// runtime reports a soft limit of 90 % of it.
func TestControllerTakesItsContainersMemoryLimit(t *testing.T) {
	dir, file := memoryCgroup(t)
	if err := os.WriteFile(filepath.Join(dir, file), []byte(strconv.Itoa(512<<20)), 0o644); err != nil {
		t.Fatalf("set the cgroup's limit: %v", err)
	}
	r := startCommandIn(t, dir, "controller", "limited", "argocd-memlimit", "--leader-elect=false")
	want := float64(483183820) // 0.9 × 512 MiB
	var got float64
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		v, ok := r.metric("go_gc_gomemlimit_bytes", "")
		got = v
		return ok && v == want, nil
	})
	if err != nil {
		log, _ := os.ReadFile(r.log)
		t.Fatalf("go_gc_gomemlimit_bytes = %v, want %v:\n%s", got, want, log)
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
}

// TestMemoryLimitFollowsTheCgroup runs processes in a real memory cgroup,
// as a container's: the soft limit is 90 % of the cgroup's limit, follows
// a change of it, and gives way to GOMEMLIMIT and AUTOMEMLIMIT.
func TestMemoryLimitFollowsTheCgroup(t *testing.T) {
	const mib = 1 << 20
	setLimit := func(dir, file string, bytes int64) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, file), []byte(strconv.FormatInt(bytes, 10)), 0o644); err != nil {
			t.Fatalf("set the cgroup's limit: %v", err)
		}
	}
	t.Run("90 % of the limit, followed", func(t *testing.T) {
		dir, file := memoryCgroup(t)
		setLimit(dir, file, 512*mib)
		limit := memoryLimitProcess(t, dir)
		if got, want := limit("start"), int64(483183820); got != want { // 0.9 × 512 MiB
			t.Errorf("soft limit in a cgroup of 512 MiB = %d, want %d", got, want)
		}
		setLimit(dir, file, 256*mib)
		want := int64(241591910) // 0.9 × 256 MiB
		if got := limit(strconv.FormatInt(want, 10)); got != want {
			t.Errorf("soft limit after the cgroup's went to 256 MiB = %d, want %d", got, want)
		}
	})
	for _, tc := range []struct {
		name string
		env  string
		want int64
	}{
		{"GOMEMLIMIT wins", "GOMEMLIMIT=100MiB", 100 * mib},
		{"AUTOMEMLIMIT sets the ratio", "AUTOMEMLIMIT=0.5", 256 * mib},
		{"AUTOMEMLIMIT=off", "AUTOMEMLIMIT=off", math.MaxInt64},
		{"AUTOMEMLIMIT not a share", "AUTOMEMLIMIT=1.5", math.MaxInt64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, file := memoryCgroup(t)
			setLimit(dir, file, 512*mib)
			if got := memoryLimitProcess(t, dir, tc.env)("start"); got != tc.want {
				t.Errorf("soft limit with %s in a cgroup of 512 MiB = %d, want %d", tc.env, got, tc.want)
			}
		})
	}
	t.Run("no limit", func(t *testing.T) {
		dir, _ := memoryCgroup(t)
		if got := memoryLimitProcess(t, dir)("start"); got != math.MaxInt64 {
			t.Errorf("soft limit in a cgroup without a limit = %d, want none (%d)", got, int64(math.MaxInt64))
		}
	})
}
