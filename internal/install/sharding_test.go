package install

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/internal/shard"
)

// With controller.sharding.enabled the chart runs capstan as a StatefulSet
// whose every Pod is its own shard: the replicas count goes into
// ARGOCD_CONTROLLER_REPLICAS, the algorithm into
// ARGOCD_CONTROLLER_SHARDING_ALGORITHM, and each Pod's hostname ordinal
// names its shard. The API server accepts the StatefulSet as rendered.
func TestShardedReplicasAreAStatefulSet(t *testing.T) {
	values := map[string]any{"controller": map[string]any{
		"replicas": 3,
		"sharding": map[string]any{"enabled": true, "algorithm": "consistent-hashing"},
	}}
	objs := renderObjects(t, "default", values)
	if _, ok := objs["Deployment/capstan"]; ok {
		t.Error("a Deployment is rendered beside the sharded StatefulSet")
	}
	sts := objs.get(t)("StatefulSet/capstan")
	if got := nested[float64](t, sts, "spec", "replicas"); got != 3 {
		t.Errorf("StatefulSet replicas %v, want 3", got)
	}
	if got := nested[string](t, sts, "spec", "serviceName"); objs["Service/"+got] == nil {
		t.Errorf("StatefulSet serviceName %q names no rendered Service", got)
	}
	vars := map[string]string{}
	container := nested[[]any](t, sts, "spec", "template", "spec", "containers")[0].(map[string]any)
	for _, e := range container["env"].([]any) {
		e := e.(map[string]any)
		vars[e["name"].(string)], _ = e["value"].(string)
	}
	want := map[string]string{shard.EnvReplicas: "3", shard.EnvAlgorithm: "consistent-hashing"}
	if diff := cmp.Diff(want, vars); diff != "" {
		t.Errorf("container env (-want +got):\n%s", diff)
	}
	// The environment the Pods get is what capstan reads: each ordinal
	// is a shard of three.
	t.Setenv(shard.EnvReplicas, vars[shard.EnvReplicas])
	t.Setenv(shard.EnvAlgorithm, vars[shard.EnvAlgorithm])
	for i := range 3 {
		var o shard.Options
		o.BindFlags(pflag.NewFlagSet("capstan", pflag.ContinueOnError))
		got, err := o.Resolve(fmt.Sprintf("%s-%d", sts.GetName(), i), "")
		if err != nil || got != (shard.Config{Shards: 3, Shard: i, Algorithm: shard.ConsistentHashing}) {
			t.Errorf("Pod %s-%d resolves to %+v, %v; want shard %d of 3", sts.GetName(), i, got, err, i)
		}
	}
	if err := env.Client(t).Create(t.Context(), sts, client.DryRunAll); err != nil {
		t.Errorf("the API server refuses the StatefulSet: %v", err)
	}
}
