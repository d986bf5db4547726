// Package server is capstan's HTTP side: the REST API under /api/v1 with
// Argo CD's paths and shapes, its authentication and authorization, the
// event stream, and the push webhook receiver.
package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/capstan-cd/capstan/internal/source"
)

// MaxWebhookBytes bounds a webhook payload; a larger one is refused.
const MaxWebhookBytes = 50 << 20

// Refresher refreshes the Applications a push concerns and says how many.
type Refresher interface {
	Refresh(ctx context.Context, push source.Push) (int, error)
}

// WebhookSecrets are the shared secrets of argocd-secret (webhook.github.secret,
// webhook.gitlab.secret, webhook.bitbucket.uuid, webhook.bitbucketserver.secret,
// webhook.gogs.secret). An empty one means that provider's events are
// accepted unsigned, as in Argo CD, unless WebhookOptions.RequireSignature.
type WebhookSecrets struct {
	GitHub, GitLab, BitbucketUUID, BitbucketServer, Gogs string
}

// any reports whether at least one secret is set.
func (s WebhookSecrets) any() bool {
	return s != WebhookSecrets{}
}

// Webhook receives push events at POST /api/webhook.
type Webhook struct {
	// Secrets returns the current secrets; they are read per request so
	// that a rotated secret applies at once.
	Secrets   func(ctx context.Context) (WebhookSecrets, error)
	Refresher Refresher
	Options   WebhookOptions
	// Clock is the time source of the rate limit; nil means the real clock.
	Clock clock.PassiveClock

	limitsOnce sync.Once
	limits     *sourceLimits
}

var (
	errUnauthorized = errors.New("signature or token does not match")
	// errUnsigned is an event without signature refused because another
	// provider's secret is set and WebhookOptions.RequireSignature.
	errUnsigned = errors.New("unsigned event refused")
)

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := ctrl.LoggerFrom(r.Context())
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !h.allow(r) {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "too many webhook events from "+sourceOf(r), http.StatusTooManyRequests)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		http.Error(w, fmt.Sprintf("payload larger than %d bytes", MaxWebhookBytes), http.StatusRequestEntityTooLarge)
		return
	case err != nil: // cut off by the read timeout, or the client went away
		http.Error(w, "payload unreadable", http.StatusBadRequest)
		return
	}
	secrets, err := h.Secrets(r.Context())
	if err != nil {
		log.Error(err, "read webhook secrets")
		http.Error(w, "webhook secrets unavailable", http.StatusInternalServerError)
		return
	}
	push, err := parsePush(r.Header, body, secrets, h.Options.RequireSignature && secrets.any())
	switch {
	case errors.Is(err, errUnsigned):
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	case errors.Is(err, errUnauthorized):
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	case errors.Is(err, errIgnored):
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "event ignored\n")
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	n, err := h.Refresher.Refresh(r.Context(), push)
	if err != nil {
		log.Error(err, "refresh after push", "ref", push.Ref)
		http.Error(w, "refresh failed", http.StatusInternalServerError)
		return
	}
	log.V(1).Info("push received", "urls", push.URLs, "ref", push.Ref, "applications", n)
	_, _ = fmt.Fprintf(w, "%d applications refreshed\n", n)
}

// allow takes a token from the bucket of the request's source.
func (h *Webhook) allow(r *http.Request) bool {
	h.limitsOnce.Do(func() {
		if h.Options.RateLimit > 0 {
			h.limits = newSourceLimits(h.Options.withDefaults())
		}
		if h.Clock == nil {
			h.Clock = clock.RealClock{}
		}
	})
	return h.limits == nil || h.limits.allow(sourceOf(r), h.Clock.Now())
}

// verify checks an event against its provider's secret with check. Without
// a secret the event passes, unless signatures are required; key names the
// secret's key in argocd-secret.
func verify(secret, key string, required bool, check func(secret string) error) error {
	if secret != "" {
		return check(secret)
	}
	if required {
		return fmt.Errorf("%w: %s is not set in argocd-secret, and signatures are required once any webhook secret is set", errUnsigned, key)
	}
	return nil
}

// verifyHMAC checks a hex HMAC-SHA256 of body, with or without a
// "sha256=" prefix.
func verifyHMAC(secret, signature string, body []byte) error {
	sig, err := hex.DecodeString(strings.TrimPrefix(signature, "sha256="))
	if err != nil || len(sig) == 0 {
		return errUnauthorized
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return errUnauthorized
	}
	return nil
}

// verifyToken compares a token sent in clear (GitLab, Bitbucket Cloud).
func verifyToken(secret, token string) error {
	if subtle.ConstantTimeCompare([]byte(secret), []byte(token)) != 1 {
		return errUnauthorized
	}
	return nil
}
