package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// profileDir is the work directory's subdirectory that receives capstan's
// heap profiles and the API server's CPU profiles; it is kept when a
// temporary work directory is removed.
const profileDir = "profiles"

// heapProfile saves capstan's heap profile (GET /debug/pprof/heap on the
// metrics address, served with --profiling) as profiles/heap-NAME.pb.gz
// and returns its path. Read it with
// `go tool pprof -top -sample_index=inuse_space FILE`.
func (b *bench) heapProfile(ctx context.Context, name string) (string, error) {
	dir := filepath.Join(b.dir, profileDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "heap-"+name+".pb.gz")
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	url := "http://" + b.capstan.metrics + "/debug/pprof/heap"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("read %s: %s (is capstan run with --profiling?)", url, resp.Status)
	}
	// Written aside and renamed: a later, higher peak replaces it whole.
	tmp, err := os.CreateTemp(dir, ".heap-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, resp.Body); err != nil {
		tmp.Close()
		return "", fmt.Errorf("read %s: %w", url, err)
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(tmp.Name(), path)
}

// peakWatch follows capstan's resident memory during a phase, keeping
// the highest sample and, with HeapProfiles, a heap profile taken at it:
// whenever VmRSS passes the last profiled size by peakStep, the profile
// is taken again.
type peakWatch struct {
	mu     sync.Mutex
	top    memory // highest VmRSS sample, with its breakdown
	topPSS int64  // highest PSS sampled
	// The phases in which the highest VmRSS, and the highest VmRSS of
	// capstan alone, were sampled.
	topPhase, selfTopPhase string
	selfTop                int64
	// selfByPhase is the highest VmRSS of capstan alone sampled in each
	// phase, in the order the phases came.
	selfByPhase []PhasePeak
	profile     string // heap profile taken closest to that peak
	err         error
	stop        context.CancelFunc
	done        chan struct{}
}

// peakStep is how much VmRSS must grow before the peak heap profile is
// taken again; it bounds the profiles taken to a handful.
const peakStep = 1.05

// watchPeak starts a peakWatch whose heap profiles are named name; ""
// takes none: a profile costs capstan CPU, and the restart is timed while
// its process grows from nothing, a profile for each 5 % it grows.
func (b *bench) watchPeak(ctx context.Context, name string) *peakWatch {
	ctx, cancel := context.WithCancel(ctx)
	w := &peakWatch{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		var profiled int64
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			m, err := processMemory(b.capstan.pid())
			if err != nil {
				continue // capstan's exit is reported by the phase
			}
			phase := ""
			if p := b.phase.Load(); p != nil {
				phase = *p
			}
			w.mu.Lock()
			if m.RSS > w.top.RSS {
				w.top, w.topPhase = m, phase
			}
			if m.SelfRSS > w.selfTop {
				w.selfTop, w.selfTopPhase = m.SelfRSS, phase
			}
			if n := len(w.selfByPhase); n == 0 || w.selfByPhase[n-1].Phase != phase {
				w.selfByPhase = append(w.selfByPhase, PhasePeak{Phase: phase})
			}
			last := &w.selfByPhase[len(w.selfByPhase)-1]
			last.SelfRSSBytes = max(last.SelfRSSBytes, m.SelfRSS)
			last.Workers = max(last.Workers, m.Workers)
			w.topPSS = max(w.topPSS, m.PSS)
			w.mu.Unlock()
			if !b.opts.HeapProfiles || name == "" || float64(m.RSS) < peakStep*float64(profiled) {
				continue
			}
			path, err := b.heapProfile(ctx, name)
			w.mu.Lock()
			if err != nil && ctx.Err() == nil {
				w.err = err
			} else if err == nil {
				w.profile, profiled = path, m.RSS
			}
			w.mu.Unlock()
		}
	}()
	return w
}

// result stops the watch and returns the highest sample, the highest PSS
// and the profile.
func (w *peakWatch) result() (memory, int64, string, error) {
	w.stop()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.top, w.topPSS, w.profile, w.err
}

// phases returns the phases in which the highest VmRSS, and capstan's own
// highest VmRSS, were sampled, and capstan's own highest in each phase;
// call it after result.
func (w *peakWatch) phases() (top, self string, byPhase []PhasePeak) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.topPhase, w.selfTopPhase, slices.Clone(w.selfByPhase)
}

// saveProfile records a saved profile's path for the report.
func (b *bench) saveProfile(moment, path string) {
	if path == "" {
		return
	}
	if b.heapProfiles == nil {
		b.heapProfiles = map[string]string{}
	}
	b.heapProfiles[moment] = path
	b.logf("heap profile at %s: %s", moment, path)
}

// peakResult stops following the first process's memory and keeps its
// highest sample and the heap profile taken at it.
func (b *bench) peakResult() error {
	if b.peak == nil {
		return nil
	}
	top, topPSS, path, err := b.peak.result()
	b.peakPhase, b.selfPeakPhase, b.selfPeakByPhase = b.peak.phases()
	b.peak = nil
	if err != nil {
		return fmt.Errorf("heap profile at the peak: %w", err)
	}
	b.peakSample, b.peakPSS = top, topPSS
	// VmHWM, read at the end, has come out a few hundred KiB under a
	// VmRSS sampled earlier in the same process: the peak is the higher.
	b.peakHWM = max(b.peakHWM, top.RSS)
	for _, p := range b.selfPeakByPhase {
		b.peakSelf = max(b.peakSelf, p.SelfRSSBytes)
	}
	b.saveProfile("peak", path)
	b.logf("highest VmRSS sampled %.1f MiB in %s (RssAnon %.1f, RssFile %.1f, %d render workers); capstan's own highest in %s; highest PSS %.1f MiB",
		mib(top.RSS), b.peakPhase, mib(top.Anon), mib(top.File), top.Workers, b.selfPeakPhase, mib(topPSS))
	return nil
}
