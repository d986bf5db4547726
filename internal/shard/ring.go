package shard

import (
	"hash/fnv"
	"math"
	"sort"
	"strconv"
)

// pointsPerShard is how many places each shard takes on the ring: enough
// that clusters spread evenly between shards.
const pointsPerShard = 64

// loadFactor bounds a shard's clusters at this much over an even share.
const loadFactor = 1.25

// point is a shard's place on the ring.
type point struct {
	hash  uint64
	shard int
}

// onRing assigns the clusters that the algorithm places (those with an id
// and no valid shard key) by consistent hashing with bounded loads: each,
// in order of id, takes the first shard clockwise from its hash whose load
// is under the bound. Pinned clusters (a shard key, or in-cluster in shard
// 0) count towards their shard's load. Every replica computes the same
// map from the same clusters.
func onRing(all []Cluster, shards int) map[string]int {
	load := make([]int, shards)
	var ids []string
	for _, c := range all {
		switch {
		case c.Shard != nil && *c.Shard >= 0 && *c.Shard < shards:
			load[*c.Shard]++
		case c.ID == "":
			load[0]++
		default:
			ids = append(ids, c.ID)
		}
	}
	sort.Strings(ids)
	bound := int(math.Ceil(loadFactor * float64(len(all)) / float64(shards)))
	ring := make([]point, 0, shards*pointsPerShard)
	for s := range shards {
		for v := range pointsPerShard {
			ring = append(ring, point{hash: hash64(strconv.Itoa(s) + "/" + strconv.Itoa(v)), shard: s})
		}
	}
	sort.Slice(ring, func(i, j int) bool { return ring[i].hash < ring[j].hash })
	out := make(map[string]int, len(ids))
	for _, id := range ids {
		h := hash64(id)
		start := sort.Search(len(ring), func(i int) bool { return ring[i].hash >= h })
		for i := range ring {
			p := ring[(start+i)%len(ring)]
			if load[p.shard] < bound {
				load[p.shard]++
				out[id] = p.shard
				break
			}
		}
	}
	return out
}

func hash64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
