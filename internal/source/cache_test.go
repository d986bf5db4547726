package source

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestGitCacheEvictions(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	tests := []struct {
		name    string
		entries []cacheEntry
		max     int64
		keep    string
		want    []string
	}{
		{
			name:    "within the bound",
			entries: []cacheEntry{{"a", 10, at(1), 0}, {"b", 10, at(2), 0}},
			max:     20,
			want:    nil,
		},
		{
			name:    "oldest first",
			entries: []cacheEntry{{"new", 10, at(3), 0}, {"old", 10, at(1), 0}, {"mid", 10, at(2), 0}},
			max:     15,
			keep:    "new",
			want:    []string{"old", "mid"},
		},
		{
			name:    "just enough",
			entries: []cacheEntry{{"a", 10, at(1), 0}, {"b", 10, at(2), 0}, {"c", 10, at(3), 0}},
			max:     20,
			keep:    "c",
			want:    []string{"a"},
		},
		{
			name:    "never the one kept, even when it is the oldest",
			entries: []cacheEntry{{"kept", 50, at(0), 0}, {"b", 10, at(2), 0}},
			max:     20,
			keep:    "kept",
			want:    []string{"b"},
		},
		{
			name:    "never a pinned one, being read by a checkout",
			entries: []cacheEntry{{"pinned", 10, at(0), 1}, {"a", 10, at(1), 0}, {"c", 10, at(5), 0}},
			max:     15,
			keep:    "c",
			want:    []string{"a"},
		},
		{
			name:    "ties by key",
			entries: []cacheEntry{{"b", 10, at(1), 0}, {"a", 10, at(1), 0}, {"c", 10, at(5), 0}},
			max:     20,
			keep:    "c",
			want:    []string{"a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, evictions(tt.entries, tt.max, tt.keep)); diff != "" {
				t.Errorf("evictions (-want +got):\n%s", diff)
			}
		})
	}
}
