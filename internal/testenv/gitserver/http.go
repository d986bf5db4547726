package gitserver

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/capstan-cd/capstan/internal/gitserve"
	"github.com/capstan-cd/capstan/internal/testenv/testca"
)

// Counts are the Git requests a server received for one repository.
type Counts = gitserve.Counts

// HTTPServer serves the bare repositories under Root over smart HTTP.
type HTTPServer struct {
	*gitserve.Handler
	// URL is the server's base URL; a repository is at URL/<name>.git.
	URL   string
	srv   *httptest.Server
	caPEM string
	app   atomic.Pointer[GitHubApp]
}

// HTTPOption configures NewHTTP.
type HTTPOption func(*httpConfig)

type httpConfig struct {
	user, password string
	tls            bool
	ca, clients    *testca.CA
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

// WithCA serves HTTPS with a certificate that ca issues; with clients
// set, the server also requires a client certificate that clients signed
// (mutual TLS). CAPEM is then ca's certificate.
func WithCA(ca, clients *testca.CA) HTTPOption {
	return func(c *httpConfig) { c.tls, c.ca, c.clients = true, ca, clients }
}

// NewHTTP starts git http-backend behind a Go HTTP server on 127.0.0.1. The
// server stops when the test ends.
func NewHTTP(t testing.TB, opts ...HTTPOption) *HTTPServer {
	t.Helper()
	cfg := httpConfig{user: "capstan", password: "s3cret-pass"}
	for _, o := range opts {
		o(&cfg)
	}
	h, err := gitserve.NewHandler(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h.Username, h.Password, h.Token = cfg.user, cfg.password, "t0ken-capstan"
	s := &HTTPServer{Handler: h}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	switch {
	case cfg.ca != nil:
		s.srv.TLS, s.caPEM = cfg.ca.ServerTLS(t, cfg.clients), cfg.ca.PEM
		s.srv.StartTLS()
	case cfg.tls:
		s.srv.StartTLS()
	default:
		s.srv.Start()
	}
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// serve lets the installation tokens of the GitHub App, if any, in as
// GitHub does: basic auth x-access-token:<token>.
func (s *HTTPServer) serve(w http.ResponseWriter, r *http.Request) {
	if u, p, ok := r.BasicAuth(); ok && u == "x-access-token" {
		if app := s.app.Load(); app != nil && app.valid(p) {
			r = r.Clone(r.Context())
			r.SetBasicAuth(s.Username, s.Password)
		}
	}
	s.Handler.ServeHTTP(w, r)
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
	if s.caPEM != "" {
		return s.caPEM
	}
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
