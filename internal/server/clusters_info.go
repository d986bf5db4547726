package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/cluster"
)

// clusterInfo is Argo CD's ClusterInfo: what the API knows of a cluster
// beyond its Secret.
type clusterInfo struct {
	ConnectionState connectionState `json:"connectionState"`
	ServerVersion   string          `json:"serverVersion,omitempty"`
	// ApplicationsCount counts the Applications that deploy to the
	// cluster, whoever may see them.
	ApplicationsCount int `json:"applicationsCount"`
}

// setInfo puts info in v, and its state and version at the top level
// too, where older clients read them.
func (v *clusterView) setInfo(info clusterInfo) {
	v.Info = info
	v.ConnectionState = info.ConnectionState
	v.ServerVersion = info.ServerVersion
}

const (
	// clusterProbeTTL is how long a cluster's version and connection
	// state are answered from the last check: listing clusters does not
	// call each cluster on each request.
	clusterProbeTTL = time.Minute
	// clusterProbeTimeout bounds a check, so that a cluster that does not
	// answer holds a request up this long at most, once a minute.
	clusterProbeTimeout = 5 * time.Second
	// clusterProbeParallel is how many clusters are checked at once.
	clusterProbeParallel = 8
)

// clusterProbes remember each cluster's answer to GET /version, asked
// again once clusterProbeTTL has passed or the cluster's credentials
// changed. Callers that want a cluster while a check of it runs wait for
// that check rather than starting another.
type clusterProbes struct {
	// now is the clock; nil is time.Now.
	now func() time.Time

	mu sync.Mutex
	// last is the last check of each server.
	last map[string]*clusterProbe
}

// clusterProbe is one check of a cluster; its fields are set once done
// is closed.
type clusterProbe struct {
	fingerprint string
	done        chan struct{}
	at          time.Time
	version     string
	err         error
}

func (p *clusterProbes) clock() time.Time {
	if p.now != nil {
		return p.now()
	}
	return time.Now()
}

// check returns the version of c and how it was reached: from the last
// check when it is recent, else from one made now.
func (p *clusterProbes) check(ctx context.Context, c *cluster.Cluster) (clusterInfo, error) {
	fp := c.Fingerprint()
	p.mu.Lock()
	now := p.clock()
	pr := p.last[c.Server]
	if pr == nil || pr.fingerprint != fp || pr.finished() && now.Sub(pr.at) >= clusterProbeTTL {
		pr = &clusterProbe{fingerprint: fp, done: make(chan struct{}), at: now}
		if p.last == nil {
			p.last = map[string]*clusterProbe{}
		}
		p.last[c.Server] = pr
		// The check outlives the request that started it: others wait
		// for it too.
		go pr.run(context.WithoutCancel(ctx), c.Config)
	}
	p.mu.Unlock()
	select {
	case <-pr.done:
	case <-ctx.Done():
		return clusterInfo{}, ctx.Err()
	}
	at := pr.at.UTC()
	if pr.err != nil {
		return clusterInfo{ConnectionState: connectionState{
			Status: "Failed", Message: fmt.Sprintf("%s cannot be reached: %v", clusterLabel(c.Name, c.Server), pr.err), AttemptedAt: &at,
		}}, nil
	}
	return clusterInfo{ServerVersion: pr.version, ConnectionState: connectionState{Status: "Successful", AttemptedAt: &at}}, nil
}

func (pr *clusterProbe) finished() bool {
	select {
	case <-pr.done:
		return true
	default:
		return false
	}
}

func (pr *clusterProbe) run(ctx context.Context, cfg *rest.Config) {
	defer close(pr.done)
	ctx, cancel := context.WithTimeout(ctx, clusterProbeTimeout)
	defer cancel()
	pr.version, pr.err = serverVersion(ctx, cfg)
}

// serverVersion asks the API server of cfg for its version.
func serverVersion(ctx context.Context, cfg *rest.Config) (string, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = clusterProbeTimeout
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return "", err
	}
	raw, err := dc.RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return "", err
	}
	var info version.Info
	if err := json.Unmarshal(raw, &info); err != nil {
		return "", fmt.Errorf("its /version is not a version: %w", err)
	}
	return info.GitVersion, nil
}

// clusterLabel names a cluster in a message: by name and server, or by
// server alone.
func clusterLabel(name, server string) string {
	if name == "" {
		return "cluster " + server
	}
	return fmt.Sprintf("cluster %s (%s)", name, server)
}

// clusterUnchecked is the connection state of every cluster of a server
// started without access to clusters.
var clusterUnchecked = connectionState{Status: "Unknown", Message: "this server was started without access to clusters"}

// fillClusterInfo sets the info of each entry: its Applications, and,
// when the server reaches clusters, its version and connection state.
func (a *API) fillClusterInfo(ctx context.Context, entries []*clusterEntry) {
	counts := a.appsPerCluster(ctx, entries)
	g := errgroup.Group{}
	g.SetLimit(clusterProbeParallel)
	for i, e := range entries {
		info := clusterInfo{ApplicationsCount: counts[i], ConnectionState: clusterUnchecked}
		if a.Backends == nil {
			e.view.setInfo(info)
			continue
		}
		g.Go(func() error {
			c, err := a.Backends.clusterOf(e)
			if err == nil {
				var reached clusterInfo
				if reached, err = a.Backends.probes.check(ctx, c); err == nil {
					info.ConnectionState, info.ServerVersion = reached.ConnectionState, reached.ServerVersion
				}
			}
			if err != nil {
				info.ConnectionState = connectionState{Status: "Failed", Message: fmt.Sprintf("%s: %v", clusterLabel(e.view.Name, e.view.Server), err)}
			}
			e.view.setInfo(info)
			return nil
		})
	}
	_ = g.Wait()
}

// clusterOf is how the controller reaches the cluster of e: through its
// Secret, or the in-cluster configuration.
func (b *Backends) clusterOf(e *clusterEntry) (*cluster.Cluster, error) {
	if e.secret == nil {
		if b.InCluster == nil {
			return nil, fmt.Errorf("this server has no configuration for the cluster it runs in")
		}
		return &cluster.Cluster{Name: e.view.Name, Server: e.view.Server, Config: b.InCluster}, nil
	}
	d, err := cluster.NewDestinations(b.InCluster, []corev1.Secret{*e.secret})
	if err != nil {
		return nil, err
	}
	return d.Resolve(v1alpha1.ApplicationDestination{Server: e.view.Server})
}

// appsPerCluster counts the Applications whose destination is each
// entry's cluster, by server or by name; zeros when they cannot be read.
func (a *API) appsPerCluster(ctx context.Context, entries []*clusterEntry) []int {
	counts := make([]int, len(entries))
	apps, _, err := a.cachedApps(ctx)
	if err != nil {
		return counts
	}
	byServer := make(map[string]int, len(entries))
	byName := make(map[string]int, len(entries))
	for i, e := range entries {
		byServer[strings.ToLower(strings.TrimRight(e.view.Server, "/"))] = i
		if e.view.Name != "" {
			byName[e.view.Name] = i
		}
	}
	for _, app := range apps {
		d := app.Spec.Destination
		i, ok := byServer[strings.ToLower(strings.TrimRight(d.Server, "/"))]
		if d.Server == "" {
			i, ok = byName[d.Name]
		}
		if ok {
			counts[i]++
		}
	}
	return counts
}
