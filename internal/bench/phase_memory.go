package bench

import (
	"context"
	"maps"
	"slices"
)

// Budget of DESIGN.md §5: 64 MiB plus 2 KiB per managed object.
const (
	memoryBase      = 64 << 20
	memoryPerObject = 2 << 10
)

// memory reports capstan's resident memory: the peak of the first process
// (cold sync included), its steady size at the end of the idle window, and
// the peak of the restarted one; each also split into RssAnon and RssFile,
// with the heap profiles taken at the first process's top and when idle
// (HeapProfiles).
func (b *bench) memory(ctx context.Context) error {
	mem, err := processMemory(b.capstan.pid())
	if err != nil {
		return err
	}
	m := &Memory{
		PeakBytes:        b.peakHWM,
		SteadyBytes:      b.steady.RSS,
		RestartPeakBytes: mem.HWM,
		BudgetBytes:      memoryBase + memoryPerObject*int64(len(b.apps)*ObjectsPerApp),
		SelfPeakBytes:    b.peakSelf,
		PeakPSSBytes:     b.peakPSS,
		PeakPhase:        b.peakPhase,
		SelfPeakPhase:    b.selfPeakPhase,
		SelfPeakByPhase:  b.selfPeakByPhase,
		Peak:             rssOf(b.peakSample),
		Steady:           rssOf(b.steady),
		Restart:          rssOf(mem),
		HeapProfiles:     b.heapProfiles,
	}
	// The benchmark's own, its children (the control plane, capstan)
	// aside: it shares the machine with what it measures.
	if self, err := readKB("/proc/self/status"); err == nil {
		m.BenchPeakBytes = self["VmHWM"]
	}
	b.res.Memory = m
	b.logf("memory: peak %.1f MiB, steady %.1f MiB (RssAnon %.1f, RssFile %.1f), budget %.1f MiB",
		mib(m.PeakBytes), mib(m.SteadyBytes), mib(m.Steady.AnonBytes), mib(m.Steady.FileBytes), mib(m.BudgetBytes))
	for _, k := range slices.Sorted(maps.Keys(b.heapProfiles)) {
		b.logf("heap profile, %s: %s", k, b.heapProfiles[k])
	}
	return nil
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
