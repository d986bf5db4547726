package bench

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat times; it is 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// cpuSeconds is the user and system CPU time of a process so far, its
// render workers included: those alive, and those it has reaped (the
// children's times in its own stat).
func cpuSeconds(pid int) (float64, error) {
	total, err := statSeconds(pid, 11, 12, 13, 14) // utime, stime, cutime, cstime
	if err != nil {
		return 0, err
	}
	for _, child := range children(pid) {
		if own, err := OwnCPUSeconds(child); err == nil {
			total += own
		}
	}
	return total, nil
}

// OwnCPUSeconds is the user and system CPU time of one process, without
// its children: the benchmark's children are the control plane and
// capstan, counted apart.
func OwnCPUSeconds(pid int) (float64, error) { return statSeconds(pid, 11, 12) }

// statSeconds adds up the clock-tick fields at indexes of /proc/PID/stat
// (see procStat), in seconds.
func statSeconds(pid int, indexes ...int) (float64, error) {
	fields, err := procStat(pid)
	if err != nil {
		return 0, fmt.Errorf("read CPU time of process %d: %w", pid, err)
	}
	total := 0.0
	for _, i := range indexes {
		v, err := strconv.ParseFloat(fields[i], 64)
		if err != nil {
			return 0, fmt.Errorf("read CPU time of process %d: bad /proc stat", pid)
		}
		total += v
	}
	return total / clockTicks, nil
}

// procStat is /proc/PID/stat's fields after the command name, which may
// hold spaces: field 0 is the state, 1 the parent's PID.
func procStat(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 15 {
		return nil, fmt.Errorf("short /proc/%d/stat", pid)
	}
	return fields, nil
}

// children are the PIDs of the processes whose parent is pid: capstan's
// render workers. It lists /proc and reads the stat of each process it has
// not yet seen to have another parent, and of pid's children: a process's
// parent changes only when that parent exits, so one seen with another
// parent is not read again while it lives. The samplers call it four
// times a second through the cold sync; reading every process's stat each
// time cost the benchmark a third of a CPU-second of a W1 cold sync,
// taken from the machine capstan is measured on.
func children(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	strangers.Lock()
	defer strangers.Unlock()
	others := strangers.of[pid]
	if others == nil {
		others = map[int]bool{}
		strangers.of[pid] = others
	}
	live := make(map[int]bool, len(entries))
	var out []int
	parent := strconv.Itoa(pid)
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		live[child] = true
		if others[child] {
			continue
		}
		if f, err := procStat(child); err == nil {
			if f[1] == parent {
				out = append(out, child)
			} else {
				others[child] = true
			}
		}
	}
	// A PID that is gone may come back as a new child.
	for p := range others {
		if !live[p] {
			delete(others, p)
		}
	}
	return out
}

// strangers are, by parent PID, the processes children has seen to have
// another parent.
var strangers = struct {
	sync.Mutex
	of map[int]map[int]bool
}{of: map[int]map[int]bool{}}

// memory is a process's resident memory from /proc/PID/status, in bytes:
// VmRSS, VmHWM, and VmRSS's anonymous part (RssAnon: heap, stacks) and
// file-backed part (RssFile: mostly the binary's mapped text and data).
// Each adds up the process and its live render workers; HWM adds their
// peaks, which need not have come at the same moment, so it errs high.
//
// RSS counts a page once in every process that maps it, and capstan and
// its workers map the same binary: PSS (/proc/PID/smaps_rollup) divides
// each page among the processes that map it, so that the sum over the
// process tree counts it once.
type memory struct {
	RSS, HWM   int64
	Anon, File int64
	PSS        int64
	// SelfRSS and SelfHWM are capstan's own, its workers aside.
	SelfRSS, SelfHWM int64
	Workers          int
}

func processMemory(pid int) (memory, error) {
	kv, err := readKB(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, fmt.Errorf("read memory of process %d: %w", pid, err)
	}
	m := memory{RSS: kv["VmRSS"], HWM: kv["VmHWM"], Anon: kv["RssAnon"], File: kv["RssFile"], SelfRSS: kv["VmRSS"], SelfHWM: kv["VmHWM"]}
	if kv, err := readKB(fmt.Sprintf("/proc/%d/smaps_rollup", pid)); err == nil {
		m.PSS = kv["Pss"]
	}
	for _, child := range children(pid) {
		kv, err := readKB(fmt.Sprintf("/proc/%d/status", child))
		if err != nil {
			continue // it has exited
		}
		m.RSS += kv["VmRSS"]
		m.HWM += kv["VmHWM"]
		m.Anon += kv["RssAnon"]
		m.File += kv["RssFile"]
		m.Workers++
		if kv, err := readKB(fmt.Sprintf("/proc/%d/smaps_rollup", child)); err == nil {
			m.PSS += kv["Pss"]
		}
	}
	return m, nil
}

// readKB reads "Key: N kB" lines as bytes.
func readKB(path string) (map[string]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(rest)
		if !ok || len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		if n, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
			out[key] = n << 10
		}
	}
	return out, sc.Err()
}

// Machine describes where the figures were measured.
type Machine struct {
	Cores       int    `json:"cores"`
	MemoryBytes int64  `json:"memoryBytes"`
	CPU         string `json:"cpu,omitempty"`
	OS          string `json:"os"`
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if kv, err := readKB("/proc/meminfo"); err == nil {
		m.MemoryBytes = kv["MemTotal"]
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}
