package bench

import "context"

// Budget of DESIGN.md §5: 64 MiB plus 2 KiB per managed object.
const (
	memoryBase      = 64 << 20
	memoryPerObject = 2 << 10
)

// memory reports capstan's resident memory: the peak of the first process
// (cold sync included), its steady size at the end of the idle window, and
// the peak of the restarted one.
func (b *bench) memory(ctx context.Context) error {
	mem, err := processMemory(b.capstan.pid())
	if err != nil {
		return err
	}
	b.res.Memory = &Memory{
		PeakBytes:        b.peakHWM,
		SteadyBytes:      b.steadyRSS,
		RestartPeakBytes: mem.HWM,
		BudgetBytes:      memoryBase + memoryPerObject*int64(len(b.apps)*ObjectsPerApp),
	}
	b.logf("memory: peak %.1f MiB, steady %.1f MiB, budget %.1f MiB",
		mib(b.peakHWM), mib(b.steadyRSS), mib(b.res.Memory.BudgetBytes))
	return nil
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
