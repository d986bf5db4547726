package application

import (
	"fmt"

	"github.com/capstan-cd/capstan/internal/desired"
)

// clusterFacts describes the destination to a render: its version and API
// versions from discovery (cached with it, read again when it learns a
// kind), and the scope of its kinds.
func (t *target) clusterFacts() (desired.Cluster, error) {
	caps, err := t.applier.Capabilities()
	if err != nil {
		return desired.Cluster{}, fmt.Errorf("cluster %s: %w", t.cluster.Server, err)
	}
	return desired.Cluster{
		KubeVersion: caps.KubeVersion,
		APIVersions: caps.APIVersions,
		Scope:       t.applier.Namespaced,
		Discovery:   t.applier.Discovery(),
	}, nil
}
