package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// apiProfileWindow is the length of each CPU profile the API server is
// asked for. Its handler profiles for a length fixed in advance, and a
// phase's is not known, so a phase is profiled in windows, back to back,
// and the last one runs past the phase's end by up to this much.
const apiProfileWindow = 5 * time.Second

// apiProfileSlack bounds the wait for a window's profile past its length.
const apiProfileSlack = 30 * time.Second

// apiProfile takes the API server's CPU profiles through a phase.
type apiProfile struct {
	stop  context.CancelFunc
	done  chan struct{}
	files []string
	err   error
	once  sync.Once
}

// profileAPIServer profiles cl's API server (started with profiling) in
// windows of apiProfileWindow, back to back, from now until end is
// called, and saves them as profiles/apiserver-NAME-NN.pb.gz. Read a
// phase's windows together with `go tool pprof -top FILES...`, which adds
// them up, and set one phase against another with one -diff_base flag
// for each of the other's files. Without Options.APIServerProfiles it
// profiles nothing.
func (b *bench) profileAPIServer(ctx context.Context, cl *cluster, name string) *apiProfile {
	if !b.opts.APIServerProfiles {
		return nil
	}
	ctx, stop := context.WithCancel(ctx)
	p := &apiProfile{stop: stop, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		dir := filepath.Join(b.dir, profileDir)
		if p.err = os.MkdirAll(dir, 0o755); p.err != nil {
			return
		}
		for i := 1; ctx.Err() == nil; i++ {
			// The window in flight is not cancelled with the phase: its
			// request gets a context of its own, so that it ends whole,
			// bounded in case the API server stalls.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), apiProfileWindow+apiProfileSlack)
			raw, err := cl.cs.CoreV1().RESTClient().Get().AbsPath("/debug/pprof/profile").
				Param("seconds", strconv.Itoa(int(apiProfileWindow.Seconds()))).DoRaw(rctx)
			cancel()
			if err != nil {
				p.err = fmt.Errorf("the API server's CPU profile (is it started with profiling?): %w", err)
				return
			}
			path := filepath.Join(dir, fmt.Sprintf("apiserver-%s-%02d.pb.gz", name, i))
			if p.err = os.WriteFile(path, raw, 0o644); p.err != nil {
				return
			}
			p.files = append(p.files, path)
		}
	}()
	return p
}

// end waits for the window in flight and returns the profiles saved,
// and the error that stopped the profiling early, if one did. Calls after
// the first only return them.
func (p *apiProfile) end() ([]string, error) {
	if p == nil {
		return nil, nil
	}
	p.once.Do(func() {
		p.stop()
		<-p.done
	})
	return p.files, p.err
}
