package bench

import (
	"context"
	"fmt"
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
	// As for the first process, a sample may top VmHWM read now (a
	// render worker may have exited since).
	restartHWM, restartSelf, restartPSS := mem.HWM, mem.SelfHWM, mem.PSS
	if w := b.restartPeak; w != nil {
		b.restartPeak = nil
		top, topPSS, _, err := w.result()
		if err != nil {
			return fmt.Errorf("memory after restart: %w", err)
		}
		restartHWM, restartPSS = max(restartHWM, top.RSS), max(restartPSS, topPSS)
		_, _, byPhase := w.phases()
		for _, p := range byPhase {
			restartSelf = max(restartSelf, p.SelfRSSBytes)
		}
	}
	m := &Memory{
		PeakBytes:            b.peakHWM,
		SteadyBytes:          b.steady.RSS,
		RestartPeakBytes:     restartHWM,
		BudgetBytes:          memoryBase + memoryPerObject*int64(len(b.apps)*ObjectsPerApp),
		SelfPeakBytes:        b.peakSelf,
		PeakPSSBytes:         b.peakPSS,
		RestartSelfPeakBytes: restartSelf,
		RestartPeakPSSBytes:  restartPSS,
		PeakPhase:            b.peakPhase,
		SelfPeakPhase:        b.selfPeakPhase,
		SelfPeakByPhase:      b.selfPeakByPhase,
		Peak:                 rssOf(b.peakSample),
		Steady:               rssOf(b.steady),
		Restart:              rssOf(mem),
		HeapProfiles:         b.heapProfiles,
	}
	// The benchmark's own, its children (the control plane, capstan)
	// aside: it shares the machine with what it measures.
	if self, err := readKB("/proc/self/status"); err == nil {
		m.BenchPeakBytes = self["VmHWM"]
	}
	b.res.Memory = m
	b.logf("memory: peak %.1f MiB PSS (capstan alone %.1f MiB VmHWM), idle %.1f MiB PSS, after restart %.1f MiB PSS (capstan alone %.1f MiB VmHWM), budget %.1f MiB",
		mib(m.PeakPSSBytes), mib(m.SelfPeakBytes), mib(m.Steady.PSSBytes), mib(m.RestartPeakPSSBytes), mib(m.RestartSelfPeakBytes), mib(m.BudgetBytes))
	for _, k := range slices.Sorted(maps.Keys(b.heapProfiles)) {
		b.logf("heap profile, %s: %s", k, b.heapProfiles[k])
	}
	return nil
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
