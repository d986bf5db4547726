package shard

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
)

// Argo CD's environment variables are the flags' defaults, and the flags
// win over them.
func TestFlagsDefaultToArgoCDEnvironment(t *testing.T) {
	t.Setenv(EnvReplicas, "3")
	t.Setenv(EnvShard, "2")
	t.Setenv(EnvAlgorithm, "round-robin")
	tests := []struct {
		name string
		args []string
		want Options
	}{
		{name: "environment", want: Options{Shards: 3, Shard: 2, Algorithm: "round-robin"}},
		{name: "flags win", args: []string{"--shards=4", "--shard=1", "--sharding-algorithm=legacy"}, want: Options{Shards: 4, Shard: 1, Algorithm: "legacy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o Options
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			o.BindFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, o); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFlagsWithoutEnvironment(t *testing.T) {
	t.Setenv(EnvReplicas, "")
	t.Setenv(EnvShard, "")
	t.Setenv(EnvAlgorithm, "")
	var o Options
	o.BindFlags(pflag.NewFlagSet("test", pflag.ContinueOnError))
	if diff := cmp.Diff(Options{Shards: 1, Shard: -1}, o); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}
