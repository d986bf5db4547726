package shard

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func secret(uid, name, server, shard string) corev1.Secret {
	s := corev1.Secret{ObjectMeta: metav1.ObjectMeta{UID: types.UID(uid)}, Data: map[string][]byte{"name": []byte(name), "server": []byte(server)}}
	if shard != "" {
		s.Data["shard"] = []byte(shard)
	}
	return s
}

func TestOwns(t *testing.T) {
	// FNV-1a of "a" is even and of "b" odd: with two shards, legacy puts
	// cluster a in shard 0 and b in shard 1.
	secrets := []corev1.Secret{secret("a", "east", "https://east.example/", ""), secret("b", "west", "https://west.example", ""), secret("c", "pinned", "https://pinned.example", "1")}
	dests := Destinations(secrets)
	tests := []struct {
		name string
		dest v1alpha1.ApplicationDestination
		want []bool // by shard
	}{
		{name: "in-cluster", dest: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc"}, want: []bool{true, false}},
		{name: "in-cluster by name", dest: v1alpha1.ApplicationDestination{Name: "in-cluster"}, want: []bool{true, false}},
		{name: "by server, trailing slash", dest: v1alpha1.ApplicationDestination{Server: "https://EAST.example"}, want: []bool{true, false}},
		{name: "by name", dest: v1alpha1.ApplicationDestination{Name: "west"}, want: []bool{false, true}},
		{name: "the shard key", dest: v1alpha1.ApplicationDestination{Name: "pinned"}, want: []bool{false, true}},
		{name: "unknown goes to shard 0", dest: v1alpha1.ApplicationDestination{Name: "nowhere"}, want: []bool{true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []bool
			for shard := range 2 {
				got = append(got, Config{Shards: 2, Shard: shard, Algorithm: Legacy}.Owns(tt.dest, dests))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Owns by shard (-want +got):\n%s", diff)
			}
		})
	}
	if !(Config{Shards: 1}).Owns(v1alpha1.ApplicationDestination{Name: "west"}, dests) {
		t.Error("without sharding, a replica does not own every destination")
	}
}

func TestDestinationsNameTheInClusterOnce(t *testing.T) {
	got := Destinations([]corev1.Secret{secret("u", "mine", "https://kubernetes.default.svc/", "x")})
	want := []Destination{{Cluster: Cluster{ID: "u"}, Name: "mine", Server: "https://kubernetes.default.svc"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Destinations (-want +got):\n%s", diff)
	}
}
