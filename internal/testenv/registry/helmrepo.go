package registry

import (
	"crypto/subtle"
	"crypto/tls"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// HelmRepoOptions configure a static Helm repository; the zero value serves
// plain HTTP without authentication.
type HelmRepoOptions struct {
	// Username and Password, when set, are required as basic auth.
	Username, Password string
	// TLS serves HTTPS with a certificate for 127.0.0.1 whose PEM is in
	// HelmRepo.CAData.
	TLS bool
	// TLSConfig, when set, serves HTTPS with it instead (its certificates,
	// its client certificate checks); CAData is then left empty.
	TLSConfig *tls.Config
}

// HelmRepo is a directory (index.yaml and chart archives) served over HTTP,
// counting the requests it answers.
type HelmRepo struct {
	// URL is the repository's base URL, without a trailing slash.
	URL string
	// CAData is the PEM certificate to trust when TLS is on, else empty.
	CAData []byte

	mu       sync.Mutex
	requests map[string]int
	failures int
}

// ServeHelmRepo serves dir as a Helm repository for the duration of the test.
func ServeHelmRepo(t testing.TB, dir string, opts HelmRepoOptions) *HelmRepo {
	t.Helper()
	h := &HelmRepo{requests: map[string]int{}}
	files := http.FileServer(http.Dir(dir))
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if opts.Username != "" && !h.authorized(r, opts.Username, opts.Password) {
			w.Header().Set("WWW-Authenticate", `Basic realm="capstan-test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.count(r.URL.Path)
		files.ServeHTTP(w, r)
	})
	var srv *httptest.Server
	switch {
	case opts.TLSConfig != nil:
		srv = httptest.NewUnstartedServer(handler)
		srv.TLS = opts.TLSConfig
		srv.StartTLS()
	case opts.TLS:
		srv = httptest.NewTLSServer(handler)
		h.CAData = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	default:
		srv = httptest.NewServer(handler)
	}
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

func (h *HelmRepo) authorized(r *http.Request, user, password string) bool {
	u, p, ok := r.BasicAuth()
	if ok && subtle.ConstantTimeCompare([]byte(u), []byte(user)) == 1 &&
		subtle.ConstantTimeCompare([]byte(p), []byte(password)) == 1 {
		return true
	}
	h.mu.Lock()
	h.failures++
	h.mu.Unlock()
	return false
}

func (h *HelmRepo) count(path string) {
	h.mu.Lock()
	h.requests[path]++
	h.mu.Unlock()
}

// Requests returns how many authorized requests asked for path, such as
// "/index.yaml".
func (h *HelmRepo) Requests(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.requests[path]
}

// Unauthorized returns how many requests were refused for want of valid
// credentials.
func (h *HelmRepo) Unauthorized() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.failures
}
