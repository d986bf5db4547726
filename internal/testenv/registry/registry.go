// Package registry starts the servers that capstan's chart and image tests
// pull from: a real CNCF Distribution registry (bin/registry) with htpasswd
// or token auth and optional TLS, and a static Helm chart repository served
// over HTTP with basic auth. Both listen on 127.0.0.1 and stop when the test
// ends. Test-only.
package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/capstan-cd/capstan/internal/testenv"

	"github.com/capstan-cd/capstan/internal/localkube"
)

// Options configure a registry; the zero value is a plain-HTTP registry with
// a generated user and password.
type Options struct {
	// Username and Password are the one htpasswd user; empty means generated.
	Username, Password string
	// TLS serves HTTPS with a self-signed certificate for 127.0.0.1, whose
	// PEM is in Registry.CAData.
	TLS bool
	// Token authenticates with bearer tokens from a token service that
	// accepts Username and Password, instead of basic auth.
	Token bool
}

// Registry is a running Distribution registry.
type Registry struct {
	// Host is "127.0.0.1:<port>", the registry part of an OCI reference.
	Host string
	// Username and Password are accepted by the registry; nothing else is.
	Username, Password string
	// CAData is the PEM certificate to trust when TLS is on, else empty.
	CAData []byte
	// Dir holds the configuration, the storage and the registry's log.
	Dir string

	tokens *tokenServer
}

// TokensIssued returns how many tokens the token service gave out; 0
// without Options.Token.
func (r *Registry) TokensIssued() int {
	if r.tokens == nil {
		return 0
	}
	return int(r.tokens.issued.Load())
}

// URL returns the oci:// URL of a repository path in the registry, such as
// Registry.URL("charts") → "oci://127.0.0.1:5000/charts".
func (r *Registry) URL(path string) string {
	return "oci://" + r.Host + "/" + strings.TrimPrefix(path, "/")
}

// startAttempts bounds the retries when another process takes the chosen
// port between picking it and the registry binding it.
const startAttempts = 3

// Start runs bin/registry for the duration of the test and returns once it
// answers on its API endpoint.
func Start(t testing.TB, opts Options) *Registry {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	r := &Registry{Username: opts.Username, Password: opts.Password, Dir: t.TempDir()}
	if r.Username == "" {
		r.Username = "capstan"
	}
	if r.Password == "" {
		r.Password = randomString(t, 16)
	}
	if err := writeHtpasswd(filepath.Join(r.Dir, "htpasswd"), r.Username, r.Password); err != nil {
		t.Fatal(err)
	}
	var certFile, keyFile string
	if opts.TLS {
		certFile, keyFile = filepath.Join(r.Dir, "tls.crt"), filepath.Join(r.Dir, "tls.key")
		if r.CAData, err = writeSelfSigned(certFile, keyFile); err != nil {
			t.Fatal(err)
		}
	}
	var tokenRealm, tokenCert string
	if opts.Token {
		tokenCert = filepath.Join(r.Dir, "token.crt")
		if r.tokens, err = startTokenServer(t, r.Username, r.Password, tokenCert); err != nil {
			t.Fatal(err)
		}
		tokenRealm = r.tokens.url
	}
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		r.Host = fmt.Sprintf("127.0.0.1:%d", port)
		cfg := config{Addr: r.Host, Root: filepath.Join(r.Dir, "storage"), Htpasswd: filepath.Join(r.Dir, "htpasswd"), CertFile: certFile, KeyFile: keyFile, TokenRealm: tokenRealm, TokenCert: tokenCert}
		err = r.run(t, bin, cfg)
		if err == nil {
			return r
		}
		if !errors.Is(err, errPortTaken) || attempt == startAttempts {
			t.Fatal(err)
		}
	}
}

var errPortTaken = errors.New("address already in use")

// run starts the registry with cfg and waits until it serves or exits.
func (r *Registry) run(t testing.TB, bin string, cfg config) error {
	cfgPath := filepath.Join(r.Dir, "config.yml")
	if err := os.WriteFile(cfgPath, cfg.yaml(), 0o600); err != nil {
		return fmt.Errorf("write registry config: %w", err)
	}
	logPath := filepath.Join(r.Dir, "registry.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("create registry log: %w", err)
	}
	cmd := exec.Command(bin, "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The registry exports traces unless told otherwise; tests have no collector.
	cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none", "OTEL_SDK_DISABLED=true")
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	if err := waitReady(t.Context(), r.endpoint(cfg), r.CAData, exited); err != nil {
		stop()
		out, _ := os.ReadFile(logPath)
		if bytes.Contains(out, []byte("address already in use")) {
			return errPortTaken
		}
		return fmt.Errorf("registry on %s: %w; log:\n%s", cfg.Addr, err, out)
	}
	t.Cleanup(stop)
	return nil
}

func (r *Registry) endpoint(cfg config) string {
	scheme := "http"
	if cfg.CertFile != "" {
		scheme = "https"
	}
	return scheme + "://" + cfg.Addr + "/v2/"
}

// waitReady polls the API endpoint until it answers (401 without
// credentials), the process exits, or a minute passes.
func waitReady(ctx context.Context, endpoint string, caData []byte, exited <-chan struct{}) error {
	client, err := httpClient(caData)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return errors.New("registry exited before serving")
		case <-ctx.Done():
			return fmt.Errorf("registry not ready: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// freePort returns a loopback TCP port that was free a moment ago (see
// localkube.FreePorts).
func freePort() (int, error) {
	ports, err := localkube.FreePorts(1)
	if err != nil {
		return 0, err
	}
	return ports[0], nil
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary finds bin/registry under the repository root.
func binary() (string, error) {
	binOnce.Do(func() {
		root, err := testenv.RepoRoot()
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(root, "bin", "registry")
		if _, err := os.Stat(binPath); err != nil {
			binErr = fmt.Errorf("registry binary %s is missing: run make bin/registry (%w)", binPath, err)
		}
	})
	return binPath, binErr
}
