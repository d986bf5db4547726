package apply

import (
	"fmt"
	"slices"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
)

// Capabilities is what a cluster tells a Helm chart about itself: its
// version and the API versions it serves, each as group/version and as
// group/version/Kind, as Argo CD hands them to `helm template`.
type Capabilities struct {
	KubeVersion string
	APIVersions []string
}

// capabilitiesCache keeps a cluster's Capabilities while discovery has
// learned nothing new, so that a render costs no request to the cluster.
type capabilitiesCache struct {
	mu      sync.Mutex
	learned uint64
	caps    *Capabilities
}

// Capabilities returns the cluster's version and API versions, read once
// and read again each time discovery learns a kind (see Mapping).
func (a *Applier) Capabilities() (Capabilities, error) {
	c := &a.capabilities
	c.mu.Lock()
	defer c.mu.Unlock()
	learned := a.learned.Load()
	if c.caps != nil && c.learned == learned {
		return *c.caps, nil
	}
	version, err := a.disc.ServerVersion()
	if err != nil {
		return Capabilities{}, fmt.Errorf("read the cluster's version: %w", err)
	}
	_, lists, err := a.disc.ServerGroupsAndResources()
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		// An aggregated API that does not answer leaves its group out;
		// anything else is an error.
		return Capabilities{}, fmt.Errorf("read the cluster's API versions: %w", err)
	}
	caps := &Capabilities{KubeVersion: version.GitVersion, APIVersions: apiVersions(lists)}
	c.caps, c.learned = caps, learned
	return *caps, nil
}

// apiVersions lists each group/version served, and each of its kinds as
// group/version/Kind, sorted and without repeats.
func apiVersions(lists []*metav1.APIResourceList) []string {
	var out []string
	for _, l := range lists {
		if l == nil {
			continue
		}
		out = append(out, l.GroupVersion)
		for _, r := range l.APIResources {
			out = append(out, l.GroupVersion+"/"+r.Kind)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
