package appcache

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Index holds the cached Applications of one namespace in name order, as
// the notifications of the cache's Application informer leave them: the
// cache's own objects, which an informer's indexer would give but a
// cache of a few namespaces does not expose. A list takes a snapshot that
// stays as it is; a change makes the next list take a new one, a copy of
// the pointers. A status update, the most common change, replaces one
// pointer in place; an Application that comes or goes moves the others
// along, and those the informer lists at the start are sorted once.
type Index struct {
	cache     Cache
	namespace string

	// register guards the registration with the informer.
	register sync.Mutex
	synced   func() bool

	mu     sync.Mutex
	byName map[string]*Application
	// order holds every Application of byName in name order, unless
	// unsorted is set: it is then made again from byName when read.
	order    []*Application
	unsorted bool
	// snapshot is what lists share; stale is set when order changed
	// since it was taken.
	snapshot []*Application
	stale    bool
	newest   int64
}

// Cache is what an Index reads: an informer cache (a cache.Cache).
type Cache interface {
	cache.Informers
	client.Reader
}

// NewIndex returns an index of the Applications of namespace in c. It
// registers with c's Application informer when first read.
func NewIndex(c Cache, namespace string) *Index {
	return &Index{cache: c, namespace: namespace}
}

// Namespace is the namespace of the index's Applications.
func (x *Index) Namespace() string { return x.namespace }

// List returns the index's Applications in name order, the cache's own
// objects, shared and never to be changed, and the newest
// resourceVersion the index has seen. A caller that needs a status calls
// Expand on the few it keeps. Before the cache has started, the error
// wraps cache.ErrCacheNotStarted; the first call after waits until the
// index holds what the informer held.
func (x *Index) List(ctx context.Context) ([]*Application, int64, error) {
	if err := x.start(ctx); err != nil {
		return nil, 0, err
	}
	apps, newest := x.list()
	return apps, newest, nil
}

// Get returns the cached Application of name, nil when the index has
// none; it starts the index as List does.
func (x *Index) Get(ctx context.Context, name string) (*Application, error) {
	if err := x.start(ctx); err != nil {
		return nil, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.byName[name], nil
}

// start registers the index with the Application informer on the first
// call, and waits until the index holds what the informer held then.
func (x *Index) start(ctx context.Context) error {
	x.register.Lock()
	defer x.register.Unlock()
	if x.synced == nil {
		// A list of one, copied, reads as the cache's client reads: an
		// error before the cache starts, rather than a wait for it.
		if err := x.cache.List(ctx, &v1alpha1.ApplicationList{}, client.InNamespace(x.namespace), client.Limit(1)); err != nil {
			return fmt.Errorf("list Applications of %s: %w", x.namespace, err)
		}
		inf, err := x.cache.GetInformer(ctx, &v1alpha1.Application{})
		if err != nil {
			return fmt.Errorf("get the Application informer: %w", err)
		}
		reg, err := inf.AddEventHandler(x.handler())
		if err != nil {
			return fmt.Errorf("index Applications: %w", err)
		}
		x.synced = reg.HasSynced
	}
	if !toolscache.WaitForCacheSync(ctx.Done(), x.synced) {
		return fmt.Errorf("index Applications: %w", context.Cause(ctx))
	}
	return nil
}

// handler keeps the index in step with the informer's Applications of
// its namespace.
func (x *Index) handler() toolscache.ResourceEventHandler {
	in := func(obj any) (*Application, bool) { return Notified(obj, x.namespace) }
	return toolscache.ResourceEventHandlerDetailedFuncs{
		AddFunc: func(obj any, initial bool) {
			if app, ok := in(obj); ok {
				x.set(app, initial)
			}
		},
		UpdateFunc: func(_, obj any) {
			if app, ok := in(obj); ok {
				x.set(app, false)
			}
		},
		DeleteFunc: func(obj any) {
			if app, ok := in(obj); ok {
				x.remove(app)
			}
		},
	}
}

// Notified is the Application of an informer's notification, and
// whether it is one of namespace.
func Notified(obj any, namespace string) (*Application, bool) {
	app := Of(obj)
	return app, app != nil && app.Namespace == namespace
}

// set puts app in the index in place of the Application of its name.
// One of a batch (the informer's first list) leaves the order to be
// sorted once, when the index is next read.
func (x *Index) set(app *Application, batch bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.byName == nil {
		x.byName = map[string]*Application{}
	}
	_, known := x.byName[app.Name]
	x.byName[app.Name] = app
	x.newest = max(x.newest, VersionOf(app))
	x.stale = true
	switch {
	case x.unsorted:
	case batch && !known:
		x.unsorted = true
	default:
		if i, found := x.position(app.Name); found {
			x.order[i] = app
		} else {
			x.order = slices.Insert(x.order, i, app)
		}
	}
}

// remove takes the Application of app's name out of the index.
func (x *Index) remove(app *Application) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.newest = max(x.newest, VersionOf(app))
	if _, known := x.byName[app.Name]; !known {
		return
	}
	delete(x.byName, app.Name)
	x.stale = true
	if x.unsorted {
		return
	}
	if i, found := x.position(app.Name); found {
		x.order = slices.Delete(x.order, i, i+1)
	}
}

// position is where name is, or would be, in the sorted order.
func (x *Index) position(name string) (int, bool) {
	return slices.BinarySearchFunc(x.order, name, func(a *Application, name string) int { return strings.Compare(a.Name, name) })
}

func (x *Index) list() ([]*Application, int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.unsorted {
		x.order = x.order[:0]
		for _, app := range x.byName {
			x.order = append(x.order, app)
		}
		SortByName(x.order)
		x.unsorted = false
	}
	if x.stale || x.snapshot == nil {
		x.snapshot = append(make([]*Application, 0, len(x.order)), x.order...)
		x.stale = false
	}
	return x.snapshot, x.newest
}

// SortByName orders apps by name, as Argo CD lists them.
func SortByName(apps []*Application) {
	slices.SortFunc(apps, func(x, y *Application) int { return strings.Compare(x.Name, y.Name) })
}

// VersionOf is obj's resourceVersion as a number, 0 when it is not one.
func VersionOf(obj metav1.Object) int64 {
	v, _ := strconv.ParseInt(obj.GetResourceVersion(), 10, 64)
	return v
}
