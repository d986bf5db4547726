// Package shard divides destination clusters among controller replicas,
// as Argo CD's application controller does: each replica reconciles only
// the Applications whose destination cluster falls in its shard. The
// assignment is a pure function of the cluster list, so that every replica
// computes the same one without talking to the others.
package shard

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
)

// Algorithm names a way to assign clusters to shards, by the values of
// Argo CD's controller.sharding.algorithm.
type Algorithm string

const (
	// Legacy hashes the cluster's id (FNV-1a, 32 bits) modulo the number
	// of shards: stable as clusters come and go, but uneven for few.
	Legacy Algorithm = "legacy"
	// RoundRobin orders the clusters by id and deals them out in turn:
	// even, but adding a cluster may move others.
	RoundRobin Algorithm = "round-robin"
	// ConsistentHashing places shards and clusters on a hash ring and
	// gives each cluster the next shard along it that is not full (bounded
	// loads): even, and adding or removing a cluster moves few others.
	ConsistentHashing Algorithm = "consistent-hashing"
)

// ParseAlgorithm reads an algorithm name; empty means Legacy, Argo CD's
// default.
func ParseAlgorithm(s string) (Algorithm, error) {
	switch a := Algorithm(strings.TrimSpace(s)); a {
	case "":
		return Legacy, nil
	case Legacy, RoundRobin, ConsistentHashing:
		return a, nil
	}
	return "", fmt.Errorf("unknown sharding algorithm %q: want %s, %s or %s", s, Legacy, RoundRobin, ConsistentHashing)
}

// Cluster is what the assignment knows of a destination cluster.
type Cluster struct {
	// ID is the UID of the cluster's Secret; empty for the cluster capstan
	// runs in when no Secret names it.
	ID string
	// Shard is the cluster Secret's `shard` key, when set: it wins over
	// the algorithm when it names an existing shard.
	Shard *int
}

// Of returns the shard of c among shards, given every cluster (for
// round-robin). The cluster without an id (in-cluster) is in shard 0, as
// in Argo CD; with one shard, or fewer, everything is in shard 0.
func Of(c Cluster, all []Cluster, shards int, alg Algorithm) int {
	if shards <= 1 {
		return 0
	}
	if c.Shard != nil && *c.Shard >= 0 && *c.Shard < shards {
		return *c.Shard
	}
	if c.ID == "" {
		return 0
	}
	if alg == ConsistentHashing {
		if i, ok := onRing(all, shards)[c.ID]; ok {
			return i
		}
	}
	if alg == RoundRobin {
		ids := make([]string, 0, len(all))
		for _, o := range all {
			ids = append(ids, o.ID)
		}
		sort.Strings(ids)
		if i := sort.SearchStrings(ids, c.ID); i < len(ids) && ids[i] == c.ID {
			return i % shards
		}
	}
	h := fnv.New32a()
	h.Write([]byte(c.ID))
	return int(h.Sum32() % uint32(shards))
}

// Ordinal is the number at the end of a StatefulSet Pod's hostname
// (capstan-application-controller-2 → 2): the shard of a replica when
// none is given.
func Ordinal(hostname string) (int, error) {
	i := strings.LastIndex(hostname, "-")
	n, err := strconv.Atoi(hostname[i+1:])
	if i < 0 || err != nil || n < 0 {
		return 0, fmt.Errorf("hostname %q does not end in a StatefulSet ordinal (-N): set the shard", hostname)
	}
	return n, nil
}
