package shard

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ptr(i int) *int { return &i }

func TestOf(t *testing.T) {
	all := []Cluster{{ID: ""}, {ID: "c"}, {ID: "a"}, {ID: "b"}}
	tests := []struct {
		name    string
		cluster Cluster
		shards  int
		alg     Algorithm
		want    int
	}{
		{name: "one shard", cluster: Cluster{ID: "a"}, shards: 1, alg: Legacy, want: 0},
		{name: "no shards counts as one", cluster: Cluster{ID: "a"}, shards: 0, alg: Legacy, want: 0},
		{name: "in-cluster is shard 0", cluster: Cluster{}, shards: 3, alg: Legacy, want: 0},
		{name: "in-cluster is shard 0 round-robin", cluster: Cluster{}, shards: 3, alg: RoundRobin, want: 0},
		// FNV-1a 32 of "a" is 0xe40c292c = 3826002220; mod 3 = 1, mod 2 = 0.
		{name: "legacy hashes the id", cluster: Cluster{ID: "a"}, shards: 3, alg: Legacy, want: 1},
		{name: "legacy hashes the id, two shards", cluster: Cluster{ID: "a"}, shards: 2, alg: Legacy, want: 0},
		// "b" = 0xe70c2de5 = 3876056549: mod 2 = 1.
		{name: "legacy, another id", cluster: Cluster{ID: "b"}, shards: 2, alg: Legacy, want: 1},
		{name: "round-robin by sorted id", cluster: Cluster{ID: "a"}, shards: 3, alg: RoundRobin, want: 1},
		{name: "round-robin wraps", cluster: Cluster{ID: "c"}, shards: 3, alg: RoundRobin, want: 0},
		{name: "round-robin, two shards", cluster: Cluster{ID: "a"}, shards: 2, alg: RoundRobin, want: 1},
		{name: "the shard key wins", cluster: Cluster{ID: "a", Shard: ptr(2)}, shards: 3, alg: Legacy, want: 2},
		{name: "the shard key wins for in-cluster", cluster: Cluster{Shard: ptr(1)}, shards: 2, alg: Legacy, want: 1},
		{name: "a shard key out of range is ignored", cluster: Cluster{ID: "a", Shard: ptr(5)}, shards: 3, alg: Legacy, want: 1},
		{name: "a negative shard key is ignored", cluster: Cluster{ID: "a", Shard: ptr(-1)}, shards: 3, alg: RoundRobin, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Of(tt.cluster, all, tt.shards, tt.alg)); diff != "" {
				t.Errorf("Of (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOrdinal(t *testing.T) {
	tests := []struct {
		hostname string
		want     int
		wantErr  bool
	}{
		{hostname: "argocd-application-controller-0", want: 0},
		{hostname: "capstan-12", want: 12},
		{hostname: "capstan", wantErr: true},
		{hostname: "capstan-7d9f-xk2p", wantErr: true},
		{hostname: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.hostname, func(t *testing.T) {
			got, err := Ordinal(tt.hostname)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Ordinal(%q) error %v, want error %t", tt.hostname, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Ordinal (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		hostname string
		param    string
		want     Config
		wantErr  bool
	}{
		{name: "no sharding", opts: Options{Shards: 1, Shard: -1}, hostname: "capstan-7d9f-xk2p", want: Config{Shards: 1, Algorithm: Legacy}},
		{name: "shard from the ordinal", opts: Options{Shards: 3, Shard: -1}, hostname: "capstan-2", want: Config{Shards: 3, Shard: 2, Algorithm: Legacy}},
		{name: "shard given", opts: Options{Shards: 3, Shard: 1}, hostname: "capstan-2", want: Config{Shards: 3, Shard: 1, Algorithm: Legacy}},
		{name: "algorithm from the params", opts: Options{Shards: 2, Shard: 0}, param: "round-robin", want: Config{Shards: 2, Algorithm: RoundRobin}},
		{name: "consistent hashing from the params", opts: Options{Shards: 2, Shard: 1}, param: "consistent-hashing", want: Config{Shards: 2, Shard: 1, Algorithm: ConsistentHashing}},
		{name: "the flag wins over the params", opts: Options{Shards: 2, Shard: 0, Algorithm: "legacy"}, param: "round-robin", want: Config{Shards: 2, Algorithm: Legacy}},
		{name: "unknown algorithm", opts: Options{Shards: 2, Shard: 0, Algorithm: "random"}, wantErr: true},
		{name: "ordinal past the shards", opts: Options{Shards: 2, Shard: -1}, hostname: "capstan-2", wantErr: true},
		{name: "no ordinal", opts: Options{Shards: 2, Shard: -1}, hostname: "capstan-7d9f-xk2p", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.opts.Resolve(tt.hostname, tt.param)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Resolve error %v, want error %t", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Resolve (-want +got):\n%s", diff)
			}
		})
	}
}
