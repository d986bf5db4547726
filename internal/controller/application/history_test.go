package application

import (
	"math"
	"testing"

	"k8s.io/utils/ptr"
)

func TestHistoryLimit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit *int64
		want  int
	}{
		{"unset", nil, 10},
		{"zero keeps none", ptr.To[int64](0), 0},
		{"as written", ptr.To[int64](3), 3},
		{"negative is the default", ptr.To[int64](-1), 10},
		{"most negative", ptr.To[int64](math.MinInt64), 10},
		{"huge is capped", ptr.To[int64](math.MaxInt64), maxHistoryLimit},
		{"at the cap", ptr.To[int64](maxHistoryLimit), maxHistoryLimit},
	} {
		if got := historyLimit(tc.limit); got != tc.want {
			t.Errorf("%s: historyLimit = %d, want %d", tc.name, got, tc.want)
		}
	}
}
