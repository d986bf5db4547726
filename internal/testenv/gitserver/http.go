package gitserver

import (
	"encoding/pem"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// Counts are the Git requests a server received for one repository.
type Counts struct {
	// LsRemote counts ref advertisements: GET info/refs over HTTP. Every
	// fetch starts with one too.
	LsRemote int
	// Fetch counts upload-pack requests (POST git-upload-pack over HTTP).
	Fetch int
	// Sessions counts SSH upload-pack sessions, each either an ls-remote
	// or a fetch.
	Sessions int
}

// counter records Counts by repository name.
type counter struct {
	mu     sync.Mutex
	counts map[string]Counts
}

func (c *counter) add(name string, f func(*Counts)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[string]Counts{}
	}
	n := c.counts[name]
	f(&n)
	c.counts[name] = n
}

// Counts returns the requests received so far for the repository name.
func (c *counter) Counts(name string) Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[name]
}

// HTTPServer serves the bare repositories under Root over smart HTTP.
type HTTPServer struct {
	counter
	// URL is the server's base URL; a repository is at URL/<name>.git.
	URL string
	// Root holds the bare repositories.
	Root string
	// Username and Password are the basic-auth credentials the server
	// requires; both empty means no authentication.
	Username, Password string
	// Token is accepted as "Authorization: Bearer <Token>" instead of
	// basic auth.
	Token string

	srv *httptest.Server
}

// HTTPOption configures NewHTTP.
type HTTPOption func(*httpConfig)

type httpConfig struct {
	user, password string
	tls            bool
}

// WithBasicAuth sets the credentials the server requires; empty ones turn
// authentication off. The default is "capstan" / "s3cret-pass".
func WithBasicAuth(user, password string) HTTPOption {
	return func(c *httpConfig) { c.user, c.password = user, password }
}

// WithTLS serves HTTPS with a certificate from a test CA; see CAPEM.
func WithTLS() HTTPOption {
	return func(c *httpConfig) { c.tls = true }
}

// NewHTTP starts git http-backend behind a Go HTTP server on 127.0.0.1. The
// server stops when the test ends.
func NewHTTP(t testing.TB, opts ...HTTPOption) *HTTPServer {
	t.Helper()
	cfg := httpConfig{user: "capstan", password: "s3cret-pass"}
	for _, o := range opts {
		o(&cfg)
	}
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("gitserver: git not installed: %v", err)
	}
	s := &HTTPServer{Root: t.TempDir(), Username: cfg.user, Password: cfg.password, Token: "t0ken-capstan"}
	backend := &cgi.Handler{
		Path: gitPath,
		Args: []string{"http-backend"},
		Root: "/",
		Env: []string{
			"GIT_PROJECT_ROOT=" + s.Root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_GLOBAL=/dev/null",
			"GIT_CONFIG_NOSYSTEM=1",
		},
		InheritEnv: []string{"PATH"},
		Stderr:     os.Stderr,
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		if s.Username != "" || s.Password != "" {
			u, p, ok := r.BasicAuth()
			bearer := r.Header.Get("Authorization") == "Bearer "+s.Token
			if !bearer && (!ok || u != s.Username || p != s.Password) {
				w.Header().Set("WWW-Authenticate", `Basic realm="capstan-test"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		backend.ServeHTTP(w, r)
	})
	if cfg.tls {
		s.srv = httptest.NewTLSServer(handler)
	} else {
		s.srv = httptest.NewServer(handler)
	}
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// record counts a request by repository and kind.
func (s *HTTPServer) record(r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasSuffix(p, "/info/refs") && r.URL.Query().Get("service") == "git-upload-pack":
		s.add(repoName(strings.TrimSuffix(p, "/info/refs")), func(c *Counts) { c.LsRemote++ })
	case strings.HasSuffix(p, "/git-upload-pack") && r.Method == http.MethodPost:
		s.add(repoName(strings.TrimSuffix(p, "/git-upload-pack")), func(c *Counts) { c.Fetch++ })
	}
}

func repoName(p string) string {
	return strings.TrimSuffix(strings.Trim(p, "/"), ".git")
}

// NewRepo creates an empty bare repository served as <URL>/<name>.git.
func (s *HTTPServer) NewRepo(t testing.TB, name string) *Repo {
	t.Helper()
	return NewRepo(t, s.Root, name)
}

// RepoURL is the URL of the repository name.
func (s *HTTPServer) RepoURL(name string) string { return s.URL + "/" + name + ".git" }

// CAPEM is the PEM certificate that signs the HTTPS server's certificate;
// empty for plain HTTP.
func (s *HTTPServer) CAPEM() string {
	if s.srv.Certificate() == nil {
		return ""
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw}))
}

// Close stops the server; a client then finds nothing listening.
func (s *HTTPServer) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}
