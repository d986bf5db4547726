package application

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/apply"
	"github.com/capstan-cd/capstan/internal/cluster"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// target is the cluster an Application deploys to, with its clients.
type target struct {
	cluster     *cluster.Cluster
	fingerprint string
	applier     *apply.Applier
	live        *cluster.Live
	// stop ends the target's watches when its credentials are replaced.
	stop context.CancelFunc
	// namespaces remembers the namespaces ensured, by a digest of their
	// name and metadata: one for each Application that creates its
	// namespace, 16 bytes each where the name and metadata took a string
	// of their own.
	namespacesMu sync.Mutex
	namespaces   map[[16]byte]struct{}
}

// ensuredKey is the key under which the namespace name, with the
// metadata meta, is remembered once ensured.
func ensuredKey(name string, meta []byte) [16]byte {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write(meta)
	var key [16]byte
	copy(key[:], h.Sum(nil))
	return key
}

// ensured reports whether the namespace (with its metadata, in key) was
// created or updated through this target already.
func (t *target) ensured(key [16]byte) bool {
	t.namespacesMu.Lock()
	defer t.namespacesMu.Unlock()
	_, ok := t.namespaces[key]
	return ok
}

// markEnsured remembers that the namespace of key was ensured.
func (t *target) markEnsured(key [16]byte) {
	t.namespacesMu.Lock()
	defer t.namespacesMu.Unlock()
	if t.namespaces == nil {
		t.namespaces = map[[16]byte]struct{}{}
	}
	t.namespaces[key] = struct{}{}
}

// Clusters keeps one applier and one live watch per destination cluster,
// and turns changes of managed objects into reconcile requests.
type Clusters struct {
	inCluster *rest.Config
	namespace string
	ctx       context.Context

	mu sync.Mutex
	// policy is how objects are tracked: by the settings in force.
	policy  tracking.Policy
	targets map[string]*target
	events  chan event.GenericEvent
}

// NewClusters returns the destinations of an installation whose own
// cluster is reached with inCluster. ctx bounds the watches.
func NewClusters(ctx context.Context, inCluster *rest.Config, namespace string, method tracking.Method) *Clusters {
	return &Clusters{
		inCluster: inCluster, namespace: namespace, policy: tracking.Policy{Method: method}, ctx: ctx,
		targets: map[string]*target{}, events: make(chan event.GenericEvent, 1024),
	}
}

// follow makes the watches track objects under p from now on. A new
// instance label key makes the watches again at their next use, indexed
// by it.
func (c *Clusters) follow(p tracking.Policy) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.policy = p
}

// Events carries a GenericEvent naming the Application that owns each
// managed object that changed.
func (c *Clusters) Events() <-chan event.GenericEvent { return c.events }

// resolve finds the destination of app among the in-cluster one and the
// cluster Secrets (read from the controller's cache).
func (c *Clusters) resolve(ctx context.Context, cl client.Client, dest v1alpha1.ApplicationDestination) (*target, error) {
	var secrets corev1.SecretList
	if err := cl.List(ctx, &secrets, client.InNamespace(c.namespace), client.MatchingLabels{v1alpha1.LabelSecretType: v1alpha1.SecretTypeCluster}); err != nil {
		return nil, fmt.Errorf("list cluster Secrets: %w", err)
	}
	// An unreadable Secret is not this Application's problem unless it is
	// its destination, which Resolve then reports as unknown.
	d, _ := cluster.NewDestinations(c.inCluster, secrets.Items)
	c.forgetRemoved(d)
	cl2, err := d.Resolve(dest)
	if err != nil {
		return nil, err
	}
	return c.target(cl2)
}

// forgetRemoved stops the watches and drops the clients of clusters whose
// Secret is gone, so that revoked credentials are not used on and on.
func (c *Clusters) forgetRemoved(d *cluster.Destinations) {
	known := map[string]bool{}
	for _, cl := range d.All() {
		known[cl.Server] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for server, t := range c.targets {
		if !known[server] {
			t.stop()
			delete(c.targets, server)
		}
	}
}

func (c *Clusters) target(cl *cluster.Cluster) (*target, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// The watches index objects by the instance label's key: another key,
	// other watches.
	labelKey := c.policy.Label()
	fp := cl.Fingerprint() + "\n" + labelKey
	if t, ok := c.targets[cl.Server]; ok {
		if t.fingerprint == fp {
			return t, nil
		}
		// The cluster Secret changed (rotated credentials): its clients
		// and watches are made again with what it says now.
		t.stop()
		delete(c.targets, cl.Server)
	}
	a, err := apply.New(cl.Config)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", cl.Server, err)
	}
	ctx, stop := context.WithCancel(c.ctx)
	live, err := cluster.NewLive(ctx, cl.Config, labelKey, cl.Namespaces)
	if err != nil {
		stop()
		return nil, fmt.Errorf("cluster %s: %w", cl.Server, err)
	}
	t := &target{cluster: cl, fingerprint: fp, applier: a, live: live, stop: stop}
	c.targets[cl.Server] = t
	go c.forward(ctx, live)
	return t, nil
}

// forward maps each change of a managed object to its Application.
func (c *Clusters) forward(ctx context.Context, live *cluster.Live) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-live.Events():
			u := ev.Object.Object(ev.Kind.ToAPIVersionAndKind())
			c.mu.Lock()
			p := c.policy
			c.mu.Unlock()
			app, ok := tracking.Owner(u, p)
			if !ok {
				continue
			}
			owner := &v1alpha1.Application{}
			owner.SetNamespace(c.namespace)
			owner.SetName(app)
			select {
			case c.events <- event.GenericEvent{Object: owner}:
			case <-ctx.Done():
				return
			}
		}
	}
}

// namespaced reports whether the kind of m lives in namespaces.
func namespaced(m *apimeta.RESTMapping) bool {
	return m.Scope.Name() == apimeta.RESTScopeNameNamespace
}

// manages checks that every object is within what capstan manages on the
// target cluster: on one limited to namespaces, an object of another
// namespace, or a cluster-scoped one, fails the render, naming it.
func (t *target) manages(objs []*unstructured.Unstructured) error {
	for _, obj := range objs {
		ns := obj.GetNamespace()
		if isNs, known := t.applier.Namespaced(obj.GroupVersionKind()); known && !isNs {
			ns = ""
		}
		if err := t.live.Manages(ns); err != nil {
			name := obj.GetName()
			if ns != "" {
				name = ns + "/" + name
			}
			return fmt.Errorf("%s %s: %w", obj.GetKind(), name, err)
		}
	}
	return nil
}
