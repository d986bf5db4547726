package source

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"sync"
)

// chartTransport returns an HTTP transport configured with repo's TLS
// settings (extra CA bundle, client certificate, insecure) and proxy.
func chartTransport(repo Repository) (*http.Transport, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// Insecure is the repository Secret's own choice to skip verification.
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: repo.Insecure}
	if repo.CAData != "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM([]byte(repo.CAData)) {
			return nil, fmt.Errorf("repository %s: no certificate found in its CA data", RedactURL(repo.URL))
		}
		cfg.RootCAs = pool
	}
	if repo.TLSClientCertData != "" || repo.TLSClientCertKey != "" {
		cert, err := tls.X509KeyPair([]byte(repo.TLSClientCertData), []byte(repo.TLSClientCertKey))
		if err != nil {
			// The parse error may quote the key; say only what failed.
			return nil, fmt.Errorf("repository %s: TLS client certificate and key do not form a key pair", RedactURL(repo.URL))
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	t.TLSClientConfig = cfg
	if repo.Proxy != "" {
		p, err := url.Parse(repo.Proxy)
		if err != nil {
			return nil, fmt.Errorf("repository %s: invalid proxy URL", RedactURL(repo.URL))
		}
		// Per request: an index may point at archives on other hosts.
		t.Proxy = func(req *http.Request) (*url.URL, error) {
			if bypassesProxy(repo.NoProxy, req.URL.String()) {
				return nil, nil
			}
			return p, nil
		}
	}
	return t, nil
}

// observingTransport binds the requests of a client that takes no context
// (Helm's registry client) to ctx, and remembers the last answer, so that a
// failure can be told apart: refused credentials, unknown chart, no server.
type observingTransport struct {
	ctx  context.Context
	base http.RoundTripper

	mu         sync.Mutex
	lastStatus int
	lastErr    error
}

func (t *observingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req.WithContext(t.ctx))
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.lastStatus, t.lastErr = 0, err
	} else {
		t.lastStatus, t.lastErr = resp.StatusCode, nil
	}
	return resp, err
}

// kind classifies a failure of the client by the last answer it got;
// notFound is what a 404 means for this request.
func (t *observingTransport) kind(err, notFound error) error {
	t.mu.Lock()
	status, lastErr := t.lastStatus, t.lastErr
	t.mu.Unlock()
	if lastErr != nil {
		return classify(lastErr)
	}
	if k := statusKind(status, notFound); k != nil {
		return k
	}
	return classify(err)
}
