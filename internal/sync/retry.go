package sync

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// AutomatedRetryLimit is how many times an automated sync is retried when
// its Application sets no syncPolicy.retry, as Argo CD does: five times,
// with the default backoff (5s, 10s, 20s, 40s, 80s).
const AutomatedRetryLimit = 5

// AutomatedRetry is the retry strategy of an automated sync under the
// Application's syncPolicy.retry: that one when set (a limit of 0 turns
// retries off), else AutomatedRetryLimit retries.
func AutomatedRetry(retry *v1alpha1.RetryStrategy) v1alpha1.RetryStrategy {
	if retry != nil {
		return *retry
	}
	return v1alpha1.RetryStrategy{Limit: AutomatedRetryLimit}
}

// RetryAllowed reports whether a sync that failed after retries earlier
// retries may run again under strategy (nil: never; a negative limit:
// always).
func RetryAllowed(strategy *v1alpha1.RetryStrategy, retries int64) bool {
	if strategy == nil || strategy.Limit == 0 {
		return false
	}
	return strategy.Limit < 0 || retries < strategy.Limit
}

// RetryDelay is the wait before retry number retries+1: the backoff's
// duration (default 5s) multiplied by its factor (default 2) once per
// earlier retry, at most its maxDuration (default 3m).
func RetryDelay(strategy *v1alpha1.RetryStrategy, retries int64) (time.Duration, error) {
	var b v1alpha1.Backoff
	if strategy != nil && strategy.Backoff != nil {
		b = *strategy.Backoff
	}
	base, err := backoffDuration("duration", b.Duration, v1alpha1.DefaultBackoffDuration)
	if err != nil {
		return 0, err
	}
	ceiling, err := backoffDuration("maxDuration", b.MaxDuration, v1alpha1.DefaultBackoffMaxDuration)
	if err != nil {
		return 0, err
	}
	factor := v1alpha1.DefaultBackoffFactor
	if b.Factor != nil {
		factor = *b.Factor
	}
	if factor < 1 {
		return 0, fmt.Errorf("retry backoff factor %d: want 1 or more", factor)
	}
	d := base
	for range retries {
		if d >= ceiling {
			break
		}
		d *= time.Duration(factor)
	}
	return min(d, ceiling), nil
}

// backoffDuration reads a Go duration ("5s") or a number of seconds.
func backoffDuration(field, value, fallback string) (time.Duration, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		value = fallback
	}
	if n, err := strconv.ParseInt(value, 10, 64); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(value)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("retry backoff %s %q: want a duration such as 5s", field, value)
	}
	return d, nil
}
