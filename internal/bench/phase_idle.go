package bench

import (
	"context"
	"time"
)

// idle leaves everything alone for the idle window and counts what capstan
// does meanwhile: API requests, status writes, Git requests, CPU time; at
// the end it reads capstan's resident memory and, with HeapProfiles, saves
// its heap profile.
func (b *bench) idle(ctx context.Context) error {
	before, err := b.snapshot(ctx)
	if err != nil {
		return err
	}
	git0 := b.repo.Counts()
	start := time.Now()
	b.logf("idle for %s", b.opts.Idle)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(b.opts.Idle):
	}
	if err := b.capstan.alive(); err != nil {
		return err
	}
	reqs, cpu, err := b.since(ctx, before)
	if err != nil {
		return err
	}
	git := b.repo.Counts()
	elapsed := time.Since(start)
	mem, err := processMemory(b.capstan.pid())
	if err != nil {
		return err
	}
	b.steady = mem
	if b.opts.HeapProfiles {
		// Steady state: the heap profile of capstan doing nothing.
		path, err := b.heapProfile(ctx, "idle")
		if err != nil {
			return err
		}
		b.saveProfile("idle", path)
	}
	b.res.Idle = &Idle{
		Seconds:          elapsed.Seconds(),
		Requests:         reqs,
		StatusWrites:     reqs.ByVerb["status-write"],
		LsRemote:         git.LsRemote - git0.LsRemote,
		Fetch:            git.Fetch - git0.Fetch,
		ExpectedLsRemote: elapsed.Seconds() / b.opts.PollInterval.Seconds(),
		CPUSeconds:       cpu,
	}
	b.logf("idle: %.0f API requests, %d ls-remote, %.2f CPU s", reqs.Total, b.res.Idle.LsRemote, cpu)
	return nil
}
