package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/capstan-cd/capstan/internal/localkube"
)

// capstanProc is one run of bin/capstan, under its own kubeconfig, with
// its webhook, metrics and probes on loopback ports.
type capstanProc struct {
	cmd                      *exec.Cmd
	exited                   chan struct{}
	waitErr                  error
	webhook, metrics, probes string // host:port
	log                      string
}

// capstanConfig says how to start capstan.
type capstanConfig struct {
	binary     string
	kubeconfig string
	dir        string // cache and log
	workers    int
	args       []string
	// profiles: capstan serves its profiles (HeapProfiles).
	profiles bool
}

// startCapstan starts capstan and returns once the process runs; call
// waitReady to know when it serves.
func startCapstan(cfg capstanConfig, run int) (*capstanProc, error) {
	ports, err := localkube.FreeAddresses(3)
	if err != nil {
		return nil, err
	}
	p := &capstanProc{
		webhook: ports[0], metrics: ports[1], probes: ports[2],
		log:    filepath.Join(cfg.dir, fmt.Sprintf("capstan-%d.log", run)),
		exited: make(chan struct{}),
	}
	if err := evictPageCache(cfg.binary); err != nil {
		return nil, err
	}
	logFile, err := os.Create(p.log)
	if err != nil {
		return nil, fmt.Errorf("create capstan's log: %w", err)
	}
	p.cmd = exec.Command(cfg.binary, "run",
		"--kubeconfig", cfg.kubeconfig, "--namespace", controlNamespace, "--leader-elect=false",
		"--server-address", p.webhook, "--insecure", "--metrics-bind-address", p.metrics, "--health-probe-bind-address", p.probes,
		"--cache-dir", filepath.Join(cfg.dir, "capstan-cache"), "--workers", strconv.Itoa(cfg.workers))
	if cfg.profiles {
		// Heap profiles on the metrics address (see heapProfile).
		p.cmd.Args = append(p.cmd.Args, "--profiling")
	}
	p.cmd.Args = append(p.cmd.Args, cfg.args...)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	// capstan must not outlive the benchmark, even when it is killed.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", cfg.binary, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()
	return p, nil
}

// pid is the capstan process's id.
func (p *capstanProc) pid() int { return p.cmd.Process.Pid }

// waitReady waits until /readyz answers 200, and /metrics too: the two
// servers start side by side, and what follows readiness reads metrics.
func (p *capstanProc) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	urls := []string{"http://" + p.probes + "/readyz", "http://" + p.metrics + "/metrics"}
	for {
		select {
		case <-p.exited:
			return fmt.Errorf("capstan exited before it was ready: %v (see %s)", p.waitErr, p.log)
		case <-ctx.Done():
			return fmt.Errorf("capstan not ready after %s (see %s): %w", timeout, p.log, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
		for len(urls) > 0 && answers(ctx, urls[0]) {
			urls = urls[1:]
		}
		if len(urls) == 0 {
			return nil
		}
	}
}

// answers reports whether a GET of url answers 200.
func answers(ctx context.Context, url string) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// alive reports an error if capstan has exited.
func (p *capstanProc) alive() error {
	select {
	case <-p.exited:
		return fmt.Errorf("capstan exited: %v (see %s)", p.waitErr, p.log)
	default:
		return nil
	}
}

// scrape reads capstan's /metrics.
func (p *capstanProc) scrape(ctx context.Context) (samples, error) {
	return scrapeHTTP(ctx, "http://"+p.metrics+"/metrics")
}

// stop sends SIGTERM and waits; after timeout it kills the process.
func (p *capstanProc) stop(timeout time.Duration) error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal capstan: %w", err)
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("capstan did not stop within %s of SIGTERM; killed", timeout)
	}
}
