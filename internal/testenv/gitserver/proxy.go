package gitserver

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Proxy is an HTTP proxy on 127.0.0.1, as a corporate network puts in
// front of its Git hosts: it forwards plain HTTP requests written with an
// absolute URL and tunnels CONNECT requests (HTTPS), counting both by the
// host:port they are for.
type Proxy struct {
	// URL is the proxy's URL, http://127.0.0.1:<port>.
	URL string

	srv      *httptest.Server
	upstream *http.Transport

	mu     sync.Mutex
	counts map[string]int
}

// NewProxy starts a proxy that stops when the test ends.
func NewProxy(t testing.TB) *Proxy {
	t.Helper()
	p := &Proxy{counts: map[string]int{}, upstream: &http.Transport{Proxy: nil}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	t.Cleanup(func() {
		p.srv.CloseClientConnections()
		p.srv.Close()
		p.upstream.CloseIdleConnections()
	})
	return p
}

// Requests is how many requests (forwarded requests and CONNECT tunnels)
// the proxy received for hostport.
func (p *Proxy) Requests(hostport string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[hostport]
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		p.count(r.Host)
		p.tunnel(w, r)
		return
	}
	if !r.URL.IsAbs() {
		http.Error(w, "a proxy request needs an absolute URL", http.StatusBadRequest)
		return
	}
	p.count(r.URL.Host)
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.Header.Del("Proxy-Connection")
	resp, err := p.upstream.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// tunnel joins the client to the host it asked for.
func (p *Proxy) tunnel(w http.ResponseWriter, r *http.Request) {
	upstream, err := net.DialTimeout("tcp", r.Host, 10*time.Second)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		upstream.Close()
		http.Error(w, "cannot tunnel", http.StatusInternalServerError)
		return
	}
	client, buf, err := hj.Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	_, _ = client.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(upstream, buf); done <- struct{}{} }()
	go func() { _, _ = io.Copy(client, upstream); done <- struct{}{} }()
	<-done
	client.Close()
	upstream.Close()
	<-done
}

func (p *Proxy) count(hostport string) {
	p.mu.Lock()
	p.counts[hostport]++
	p.mu.Unlock()
}
