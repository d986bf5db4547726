package server

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/apply"
	"github.com/capstan-cd/capstan/internal/cluster"
	"github.com/capstan-cd/capstan/internal/desired"
	"github.com/capstan-cd/capstan/internal/settings"
	"github.com/capstan-cd/capstan/internal/source"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// Backends are what the endpoints on an Application's resources and on
// repositories reach beyond the control plane's own objects: the
// destination clusters and the repositories. An endpoint whose backend is
// missing answers 503.
type Backends struct {
	// InCluster reaches the cluster capstan runs in: the in-cluster
	// destination.
	InCluster *rest.Config
	// Fetcher and Render are the controller's: /manifests renders
	// through them exactly what the controller applies.
	Fetcher desired.Fetcher
	Render  desired.RenderFunc
	// Git answers a repository's connection state and a revision's
	// metadata.
	Git *source.Git

	// probes remember each cluster's version and connection state.
	probes clusterProbes

	mu           sync.Mutex
	clients      map[string]*destination
	controlPlane dynamic.Interface
}

// destination holds the clients of one destination cluster, made again
// when its cluster Secret's credentials change.
type destination struct {
	cluster     *cluster.Cluster
	fingerprint string
	applier     *apply.Applier
	dynamic     dynamic.Interface
}

// destinationOf returns the clients of app's destination cluster, from
// the in-cluster configuration and the cluster Secrets.
func (a *API) destinationOf(ctx context.Context, app *v1alpha1.Application) (*destination, error) {
	b := a.Backends
	if b == nil {
		return nil, errNoBackend
	}
	var secrets corev1.SecretList
	if err := a.Client.List(ctx, &secrets, client.InNamespace(a.Namespace), client.MatchingLabels{v1alpha1.LabelSecretType: v1alpha1.SecretTypeCluster}); err != nil {
		return nil, fmt.Errorf("list cluster Secrets: %w", err)
	}
	d, _ := cluster.NewDestinations(b.InCluster, secrets.Items)
	c, err := d.Resolve(app.Spec.Destination)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	fp := c.Fingerprint()
	if dst, ok := b.clients[c.Server]; ok && dst.fingerprint == fp {
		return dst, nil
	}
	ap, err := apply.New(c.Config)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", c.Server, err)
	}
	dyn, err := dynamic.NewForConfig(c.Config)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", c.Server, err)
	}
	if b.clients == nil {
		b.clients = map[string]*destination{}
	}
	dst := &destination{cluster: c, fingerprint: fp, applier: ap, dynamic: dyn}
	b.clients[c.Server] = dst
	return dst, nil
}

// errNoBackend is the error of an endpoint whose backend the server was
// started without.
var errNoBackend = fmt.Errorf("this server was started without access to clusters and repositories")

// settingsNow is the settings snapshot in force.
func (a *API) settingsNow() *settings.Settings {
	if a.Settings == nil {
		return settings.Default()
	}
	if s := a.Settings.Current(); s != nil {
		return s
	}
	return settings.Default()
}

// trackingPolicy is how objects are tracked under the settings in force.
func (a *API) trackingPolicy() tracking.Policy { return a.settingsNow().Tracking }

// writeBackendError answers an error of a backend: 503 when the server
// has none, 500 otherwise.
func writeBackendError(w http.ResponseWriter, err error, format string, args ...any) {
	if err == errNoBackend {
		writeError(w, http.StatusServiceUnavailable, "%v", err)
		return
	}
	writeKubeError(w, err, format, args...)
}
