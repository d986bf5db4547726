package shard

import (
	"fmt"
	"math"
	"testing"
)

func clusters(n int, prefix string) []Cluster {
	out := make([]Cluster, n)
	for i := range out {
		out[i] = Cluster{ID: fmt.Sprintf("%s-%03d", prefix, i)}
	}
	return out
}

// Consistent hashing keeps every shard under its bound, gives every
// cluster a shard, and moves few clusters when one is added.
func TestConsistentHashingBalancesAndMovesFew(t *testing.T) {
	for _, tt := range []struct{ clusters, shards int }{{10, 3}, {40, 4}, {7, 7}, {100, 6}} {
		t.Run(fmt.Sprintf("%d clusters on %d shards", tt.clusters, tt.shards), func(t *testing.T) {
			all := clusters(tt.clusters, "uid")
			load := make([]int, tt.shards)
			before := map[string]int{}
			for _, c := range all {
				s := Of(c, all, tt.shards, ConsistentHashing)
				if s < 0 || s >= tt.shards {
					t.Fatalf("cluster %s in shard %d of %d", c.ID, s, tt.shards)
				}
				load[s]++
				before[c.ID] = s
			}
			bound := int(math.Ceil(loadFactor * float64(tt.clusters) / float64(tt.shards)))
			for s, n := range load {
				if n > bound {
					t.Errorf("shard %d holds %d clusters, over the bound %d (loads %v)", s, n, bound, load)
				}
			}
			grown := append(all, Cluster{ID: "uid-00a"})
			moved := 0
			for _, c := range all {
				if Of(c, grown, tt.shards, ConsistentHashing) != before[c.ID] {
					moved++
				}
			}
			// The new id sorts early: round-robin would move about every
			// cluster after it;
			// consistent hashing only those the new bound pushes on.
			if limit := tt.clusters/tt.shards + 1; moved > limit {
				t.Errorf("adding a cluster moved %d of %d clusters, want at most %d", moved, tt.clusters, limit)
			}
		})
	}
}

// Pinned clusters keep their shard and count towards its load.
func TestConsistentHashingHonoursPins(t *testing.T) {
	all := append(clusters(6, "uid"), Cluster{}, Cluster{ID: "pinned", Shard: ptr(1)})
	if got := Of(Cluster{}, all, 2, ConsistentHashing); got != 0 {
		t.Errorf("in-cluster in shard %d, want 0", got)
	}
	if got := Of(Cluster{ID: "pinned", Shard: ptr(1)}, all, 2, ConsistentHashing); got != 1 {
		t.Errorf("pinned cluster in shard %d, want 1", got)
	}
	load := []int{1, 1}
	for _, c := range all[:6] {
		load[Of(c, all, 2, ConsistentHashing)]++
	}
	if load[0] > 5 || load[1] > 5 {
		t.Errorf("loads %v with pins: want each at most ceil(1.25*8/2) = 5", load)
	}
}
