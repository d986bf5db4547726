package server

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// sourceLimits is one token bucket per source of webhook events, so that a
// source flooding the receiver is refused (429) while others go through. It
// tracks at most max sources: when full it forgets those whose bucket has
// refilled, which a new bucket would equal, and refuses a new source if
// every tracked one is still active, rather than grow.
type sourceLimits struct {
	limit rate.Limit
	burst int
	max   int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

func newSourceLimits(o WebhookOptions) *sourceLimits {
	return &sourceLimits{limit: rate.Limit(o.RateLimit), burst: o.RateBurst, max: o.MaxSources, buckets: map[string]*rate.Limiter{}}
}

// allow takes a token from source's bucket at now.
func (l *sourceLimits) allow(source string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[source]
	if !ok {
		if len(l.buckets) >= l.max {
			l.forgetIdle(now)
		}
		if len(l.buckets) >= l.max {
			return false
		}
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets[source] = b
	}
	return b.AllowN(now, 1)
}

// forgetIdle drops the buckets that are full again. l.mu must be held.
func (l *sourceLimits) forgetIdle(now time.Time) {
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, k)
		}
	}
}

// sourceOf is the source a request's rate is counted against: its remote
// IP address, an IPv6 address by its /64, which one host usually holds whole.
func sourceOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if addr.Is6() {
		if p, err := addr.WithZone("").Prefix(64); err == nil {
			return p.String()
		}
	}
	return addr.String()
}
