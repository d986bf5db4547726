package server

import (
	"crypto/tls"
	"net/http"
	"time"
)

// NewAPIServer returns the HTTP server of the API: TLS with tlsConfig, or
// plain HTTP when it is nil. Headers are bounded in time and size; bodies
// and answers are not, because an event stream stays open for as long
// as its client listens. The webhook bounds its own requests (see
// WebhookDeadlines).
func NewAPIServer(handler http.Handler, tlsConfig *tls.Config) *http.Server {
	return &http.Server{
		Handler:           handler,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// WebhookDeadlines gives each request to the webhook the bounds that
// NewHTTPServer gives a server of its own: its body must arrive within
// the read timeout, and its answer be taken within twice that.
func WebhookDeadlines(h http.Handler, opts WebhookOptions) http.Handler {
	opts = opts.withDefaults()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		now := time.Now()
		_ = rc.SetReadDeadline(now.Add(opts.ReadTimeout))
		_ = rc.SetWriteDeadline(now.Add(2 * opts.ReadTimeout))
		h.ServeHTTP(w, r)
	})
}
