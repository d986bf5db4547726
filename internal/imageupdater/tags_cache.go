package imageupdater

import (
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// ttlCache keeps values for a while: registry answers that many
// Applications ask for in one cycle are fetched once.
type ttlCache[V any] struct {
	mu      sync.Mutex
	clock   clock.PassiveClock
	ttl     time.Duration
	max     int
	entries map[string]ttlEntry[V]
}

type ttlEntry[V any] struct {
	value   V
	expires time.Time
}

func newTTLCache[V any](clk clock.PassiveClock, ttl time.Duration, max int) *ttlCache[V] {
	return &ttlCache[V]{clock: clk, ttl: ttl, max: max, entries: map[string]ttlEntry[V]{}}
}

// get returns the value under key unless it expired.
func (c *ttlCache[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !c.clock.Now().Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.value, true
}

// put stores value under key; a full cache first drops what expired,
// then, if still full, everything.
func (c *ttlCache[V]) put(key string, value V) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	if len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	c.entries[key] = ttlEntry[V]{value: value, expires: now.Add(c.ttl)}
}
