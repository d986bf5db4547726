package shard

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/appcache"
)

// inClusterServer is the address of the cluster capstan runs in.
const inClusterServer = "https://kubernetes.default.svc"

// Destination is a cluster an Application may name.
type Destination struct {
	Cluster
	Name, Server string
}

// Destinations are the clusters of the cluster Secrets (Argo CD's keys
// name, server and shard; the id is the Secret's UID), and the in-cluster
// one when no Secret names it. A `shard` that is not a number is ignored.
func Destinations(secrets []corev1.Secret) []Destination {
	out := make([]Destination, 0, len(secrets)+1)
	inCluster := false
	for _, s := range secrets {
		d := Destination{Cluster: Cluster{ID: string(s.UID)}, Name: string(s.Data["name"]), Server: normalize(string(s.Data["server"]))}
		if n, err := strconv.Atoi(strings.TrimSpace(string(s.Data["shard"]))); err == nil {
			d.Shard = &n
		}
		inCluster = inCluster || d.Server == inClusterServer
		out = append(out, d)
	}
	if !inCluster {
		out = append(out, Destination{Name: "in-cluster", Server: inClusterServer})
	}
	return out
}

func normalize(server string) string {
	return strings.TrimRight(strings.ToLower(strings.TrimSpace(server)), "/")
}

// Owns reports whether dest is in shard c.Shard among dests. A destination
// no cluster matches belongs to shard 0, so that exactly one replica
// reports it as an error.
func (c Config) Owns(dest v1alpha1.ApplicationDestination, dests []Destination) bool {
	if !c.Enabled() {
		return true
	}
	all := make([]Cluster, len(dests))
	for i, d := range dests {
		all[i] = d.Cluster
	}
	for _, d := range dests {
		if (dest.Server != "" && normalize(dest.Server) == d.Server) || (dest.Server == "" && dest.Name != "" && dest.Name == d.Name) {
			return Of(d.Cluster, all, c.Shards, c.Algorithm) == c.Shard
		}
	}
	return c.Shard == 0
}

// Filter tells a replica which Applications are its own, reading the
// cluster Secrets of namespace through reader (a cache).
type Filter struct {
	Config    Config
	Namespace string
	Reader    client.Reader
	// Apps, when set, is where an event without a destination finds its
	// Application: the cached one, read in place, rather than a copy
	// whose status is expanded for one field of its spec.
	Apps *appcache.Index
}

// Owns reports whether the Application's destination is in this replica's
// shard.
func (f *Filter) Owns(ctx context.Context, dest v1alpha1.ApplicationDestination) (bool, error) {
	if !f.Config.Enabled() {
		return true, nil
	}
	var secrets corev1.SecretList
	if err := f.Reader.List(ctx, &secrets, client.InNamespace(f.Namespace), client.MatchingLabels{v1alpha1.LabelSecretType: v1alpha1.SecretTypeCluster}); err != nil {
		return false, fmt.Errorf("list cluster Secrets: %w", err)
	}
	return f.Config.Owns(dest, Destinations(secrets.Items)), nil
}

// destination is the destination of the Application of key, and whether
// there is one. The index, fed by the informer's notifications, may not
// hold yet what the cache does: what it lacks is read through the cache.
func (f *Filter) destination(ctx context.Context, key client.ObjectKey) (v1alpha1.ApplicationDestination, bool) {
	if f.Apps != nil && key.Namespace == f.Apps.Namespace() {
		if app, err := f.Apps.Get(ctx, key.Name); err == nil && app != nil {
			return app.Spec.Destination, true
		}
	}
	app := &v1alpha1.Application{}
	if err := f.Reader.Get(ctx, key, app); err != nil {
		return v1alpha1.ApplicationDestination{}, false
	}
	return app.Spec.Destination, true
}

// Selects returns an event filter for a controller: true for the
// Applications of this replica's shard. An event that names an Application
// without its spec (a queued refresh) is looked up through the reader.
// ctx bounds those reads and carries the logger.
func (f *Filter) Selects(ctx context.Context) func(client.Object) bool {
	return func(obj client.Object) bool {
		if !f.Config.Enabled() {
			return true
		}
		var dest v1alpha1.ApplicationDestination
		switch app := obj.(type) {
		case *v1alpha1.Application:
			dest = app.Spec.Destination
		case *appcache.Application:
			dest = app.Spec.Destination
		default:
			return false
		}
		if dest == (v1alpha1.ApplicationDestination{}) {
			var found bool
			if dest, found = f.destination(ctx, client.ObjectKeyFromObject(obj)); !found {
				// Gone: nothing to reconcile on any shard.
				return false
			}
		}
		owns, err := f.Owns(ctx, dest)
		if err != nil {
			logr.FromContextOrDiscard(ctx).Error(err, "cannot tell the shard of an Application", "application", obj.GetName())
		}
		return owns
	}
}
