package imageupdater

import (
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		count    int
		interval time.Duration
		want     time.Duration
	}{
		{0, 2 * time.Minute, 0},
		{1, 2 * time.Minute, 2 * time.Minute},
		{2, 2 * time.Minute, 4 * time.Minute},
		{5, 2 * time.Minute, 32 * time.Minute},
		{6, 2 * time.Minute, time.Hour},
		{60, 2 * time.Minute, time.Hour},
		{3, 2 * time.Hour, 2 * time.Hour},
	} {
		if got := retryAfter(tc.count, tc.interval); got != tc.want {
			t.Errorf("retryAfter(%d, %s) = %s, want %s", tc.count, tc.interval, got, tc.want)
		}
	}
}
