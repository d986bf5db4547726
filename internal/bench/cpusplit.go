package bench

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/capstan-cd/capstan/internal/localkube"
)

// Names of the processes a CPU split counts besides the control plane's.
const (
	cpuCapstan   = "capstan"
	cpuWorkers   = "capstan's render workers"
	cpuBenchmark = "benchmark"
)

// cpuAPIServer is the control plane's API server in a CPU split.
const cpuAPIServer = "kube-apiserver"

// cpuReading is the CPU time each process has used so far, in seconds, by
// name: the components of one control plane, capstan and its render
// workers apart (when it runs), and the benchmark itself (its watches, and in
// the ceiling its apply loop).
type cpuReading map[string]float64

// readCPU reads, at one moment, the CPU time of each component of the
// control plane in dir, of capstan (pid 0: none) and of the benchmark.
// The two cores are shared by all of them, so during a window that keeps
// them busy, what one process uses is taken from the others: the split
// says where a cold sync's time goes, and the ceiling's says what the same
// objects cost without capstan.
func readCPU(dir string, capstanPID int) (cpuReading, error) {
	procs, err := localkube.Processes(dir)
	if err != nil {
		return nil, fmt.Errorf("list the control plane's processes: %w", err)
	}
	r := cpuReading{}
	for _, p := range procs {
		if r[p.Name], err = OwnCPUSeconds(p.PID); err != nil {
			return nil, err
		}
	}
	if capstanPID != 0 {
		withWorkers, err := cpuSeconds(capstanPID)
		if err != nil {
			return nil, err
		}
		if r[cpuCapstan], err = OwnCPUSeconds(capstanPID); err != nil {
			return nil, err
		}
		r[cpuWorkers] = withWorkers - r[cpuCapstan]
	}
	if r[cpuBenchmark], err = OwnCPUSeconds(os.Getpid()); err != nil {
		return nil, err
	}
	return r, nil
}

// since is what each process used between earlier and r. A process absent
// from earlier (capstan started in between) counts from zero.
func (r cpuReading) since(earlier cpuReading) map[string]float64 {
	out := make(map[string]float64, len(r))
	for name, v := range r {
		out[name] = v - earlier[name]
	}
	return out
}

// cpuTotal adds up a split.
func cpuTotal(split map[string]float64) float64 {
	total := 0.0
	for _, v := range split {
		total += v
	}
	return total
}

// cpuSplitOf prints the splits of the ceiling and of the cold sync side by
// side, largest first by the cold sync, with their totals: "name a | b".
func cpuSplitOf(ceiling, cold map[string]float64) string {
	names := slices.Collect(maps.Keys(cold))
	for n := range ceiling {
		if _, ok := cold[n]; !ok {
			names = append(names, n)
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		if cold[a] != cold[b] {
			if cold[a] > cold[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, 0, len(names)+1)
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %.1f | %.1f", n, ceiling[n], cold[n]))
	}
	parts = append(parts, fmt.Sprintf("total %.1f | %.1f", cpuTotal(ceiling), cpuTotal(cold)))
	return strings.Join(parts, ", ")
}
