package server

import (
	"net/http"
	"time"

	"github.com/spf13/pflag"
)

// WebhookOptions configure the webhook receiver and the HTTP server it runs
// in.
type WebhookOptions struct {
	// RequireSignature refuses every unsigned event once any webhook secret
	// is set: a provider whose own secret is empty is then refused rather
	// than trusted. Argo CD trusts it; so does capstan by default.
	RequireSignature bool
	// RateLimit is how many events per second one source may send: one
	// remote address, or one /64 for IPv6. Zero or less turns the limit off.
	RateLimit float64
	// RateBurst is how many events a source may send at once. Zero means
	// DefaultWebhookRateBurst.
	RateBurst int
	// MaxSources bounds the sources whose rate is tracked; a new source is
	// refused while that many sent events recently. Zero means
	// DefaultWebhookMaxSources.
	MaxSources int
	// ReadTimeout bounds the reading of one request, body included. Zero
	// means DefaultWebhookReadTimeout.
	ReadTimeout time.Duration
}

// Defaults for WebhookOptions.
const (
	DefaultWebhookRateLimit   = 20
	DefaultWebhookRateBurst   = 50
	DefaultWebhookMaxSources  = 4096
	DefaultWebhookReadTimeout = 30 * time.Second
)

// FlagWebhookRequireSignature is the flag that sets
// WebhookOptions.RequireSignature.
const FlagWebhookRequireSignature = "webhook-require-signature"

// SettingWebhookRequireSignature is the argocd-cm key that sets
// WebhookOptions.RequireSignature, as the flag does.
const SettingWebhookRequireSignature = "capstan.webhook.requireSignature"

// BindFlags registers the options on fs. The flags default to a rate limit
// of DefaultWebhookRateLimit, where the zero WebhookOptions has none.
func (o *WebhookOptions) BindFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.RequireSignature, FlagWebhookRequireSignature, o.RequireSignature, "once any webhook secret is set, refuse the events of providers whose secret is not set instead of accepting them unsigned")
	fs.Float64Var(&o.RateLimit, "webhook-rate-limit", DefaultWebhookRateLimit, "webhook events per second accepted from one remote address (an IPv6 /64); 0 turns the limit off")
	fs.IntVar(&o.RateBurst, "webhook-rate-burst", DefaultWebhookRateBurst, "webhook events one remote address may send at once")
	fs.DurationVar(&o.ReadTimeout, "webhook-read-timeout", DefaultWebhookReadTimeout, "bound on reading one webhook request, body included")
}

func (o WebhookOptions) withDefaults() WebhookOptions {
	if o.RateBurst <= 0 {
		o.RateBurst = DefaultWebhookRateBurst
	}
	if o.MaxSources <= 0 {
		o.MaxSources = DefaultWebhookMaxSources
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultWebhookReadTimeout
	}
	return o
}

// NewHTTPServer returns the server for handler with bounds on what one
// client may hold: a slow sender of headers or body is cut off after the
// read timeout, a slow reader of the answer after twice that, and headers
// are at most 64 KiB.
func NewHTTPServer(handler http.Handler, opts WebhookOptions) *http.Server {
	opts = opts.withDefaults()
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: min(10*time.Second, opts.ReadTimeout),
		ReadTimeout:       opts.ReadTimeout,
		WriteTimeout:      2 * opts.ReadTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}
