package hostile

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/capstan-cd/capstan/internal/testenv"
)

// capstanProc is the one capstan process of the suite, `capstan run`, with
// its webhook and probes on loopback ports. Running the real binary as a
// child means a Go fatal error in capstan ends that process, which the
// suite sees, rather than the test binary.
type capstanProc struct {
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
	// log is capstan's standard output and error.
	log string
	// webhook is the base URL of the webhook receiver.
	webhook string
	// cacheDir and tmpDir are capstan's --cache-dir and $TMPDIR.
	cacheDir, tmpDir string
}

func startCapstan(ctx context.Context, binary, kubeconfig, dir string) (*capstanProc, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	p := &capstanProc{
		log:      filepath.Join(dir, "capstan.log"),
		webhook:  "http://" + ports[0],
		cacheDir: filepath.Join(dir, "cache"),
		tmpDir:   filepath.Join(dir, "tmp"),
		exited:   make(chan struct{}),
	}
	if err := os.MkdirAll(p.tmpDir, 0o755); err != nil {
		return nil, err
	}
	logFile, err := os.Create(p.log)
	if err != nil {
		return nil, err
	}
	args := []string{"run",
		"--kubeconfig", kubeconfig, "--namespace", controlPlane, "--leader-elect=false",
		"--server-address", ports[0], "--insecure", "--metrics-bind-address", "0", "--health-probe-bind-address", ports[1],
		"--cache-dir", p.cacheDir}
	if help, _ := exec.Command(binary, "run", "--help").Output(); bytes.Contains(help, []byte("--render-timeout")) {
		// A render that never ends is stopped after renderTimeout rather
		// than the default, so that the suite stays short.
		args = append(args, "--render-timeout", renderTimeout.String())
	}
	p.cmd = exec.Command(binary, args...)
	// Whatever capstan or a renderer writes to a temporary directory lands
	// where the suite can look for it.
	p.cmd.Env = append(os.Environ(), "TMPDIR="+p.tmpDir)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	// capstan must not outlive the suite, even when the suite is killed.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start capstan: %w", err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()
	if err := p.waitReady(ctx, "http://"+ports[1]+"/readyz"); err != nil {
		p.stop()
		return nil, fmt.Errorf("%w\n%s", err, p.tail(0, 40))
	}
	return p, nil
}

// renderTimeout is capstan's --render-timeout in the suite: shorter than
// the default, so that an endless render costs the suite less, and long
// enough for the 72 MB chart to reach the output limit on a busy machine.
const renderTimeout = 60 * time.Second

func (p *capstanProc) waitReady(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, bounded)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("capstan exited before it was ready: %v", p.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("capstan not ready at %s: %w", url, ctx.Err())
		case <-tick.C:
		}
	}
}

// stop ends capstan as a Deployment's rollout would, then kills it.
func (p *capstanProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// logSize is the length of capstan's log so far, a mark for panicsSince.
func (p *capstanProc) logSize() int64 {
	fi, err := os.Stat(p.log)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// crash matches what the Go runtime and controller-runtime write when a
// goroutine panics or the runtime gives up, recovered or not.
var crash = regexp.MustCompile(`(?m)^(panic: |fatal error: |runtime: goroutine stack exceeds)|Observed a panic|recovered from panic|Reconciler error.*panic`)

// crashesSince returns the lines of capstan's log after offset from that
// tell of a panic or a fatal error.
func (p *capstanProc) crashesSince(offset int64) []string {
	data, err := os.ReadFile(p.log)
	if err != nil || offset > int64(len(data)) {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data[offset:]), "\n") {
		if crash.MatchString(line) {
			out = append(out, truncate(line, 400))
		}
	}
	return out
}

// tail is the last n lines of the log after offset.
func (p *capstanProc) tail(offset int64, n int) string {
	data, err := os.ReadFile(p.log)
	if err != nil {
		return err.Error()
	}
	if offset < int64(len(data)) {
		data = data[offset:]
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(truncate(string(l), 600))
		b.WriteByte('\n')
	}
	return b.String()
}

// alive fails the test when capstan exited: the suite never restarts it,
// so a process that ran the whole suite is the one it started.
func (p *capstanProc) alive(t *testing.T) {
	t.Helper()
	select {
	case <-p.exited:
		t.Fatalf("capstan exited (%v); the last lines of its log:\n%s", p.waitErr, p.tail(0, 60))
	default:
	}
}

// freePorts returns n loopback addresses nobody listens on now; see
// testenv.FreeAddresses.
func freePorts(n int) ([]string, error) { return testenv.FreeAddresses(n) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("… (%d bytes)", len(s))
}
