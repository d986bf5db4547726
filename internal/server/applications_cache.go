package server

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// cachedApps are the Applications of the API's namespace in name order,
// with the newest resourceVersion among them. With informers they come
// from the API's index of the informer's objects: shared, never to be
// changed, and neither copied nor sorted again for each list. Without,
// they come from the client's list.
func (a *API) cachedApps(ctx context.Context) ([]*v1alpha1.Application, string, error) {
	if a.Cache != nil {
		if err := a.apps.start(ctx, a); err != nil {
			return nil, "", err
		}
		apps, newest := a.apps.list()
		return apps, formatVersion(newest), nil
	}
	var list v1alpha1.ApplicationList
	if err := a.Client.List(ctx, &list, client.InNamespace(a.Namespace), client.UnsafeDisableDeepCopy); err != nil {
		return nil, "", err
	}
	apps := make([]*v1alpha1.Application, len(list.Items))
	var newest int64
	for i := range list.Items {
		apps[i] = &list.Items[i]
		newest = max(newest, versionOf(apps[i]))
	}
	sortByName(apps)
	version := list.ResourceVersion
	if version == "" {
		version = formatVersion(newest)
	}
	return apps, version, nil
}

// formatVersion is a resourceVersion, "" for none.
func formatVersion(v int64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatInt(v, 10)
}

// appIndex holds the Applications of one namespace in name order, as the
// informer's notifications leave them. A list takes a snapshot that
// stays as it is; a change makes the next list take a new one, a copy of
// the pointers. A status update, the most common change, replaces one
// pointer in place; an Application that comes or goes moves the others
// along, and those the informer lists at the start are sorted once.
type appIndex struct {
	// register guards the registration with the informer.
	register sync.Mutex
	synced   func() bool

	mu     sync.Mutex
	byName map[string]*v1alpha1.Application
	// order holds every Application of byName in name order, unless
	// unsorted is set: it is then made again from byName when read.
	order    []*v1alpha1.Application
	unsorted bool
	// snapshot is what lists share; stale is set when order changed
	// since it was taken.
	snapshot []*v1alpha1.Application
	stale    bool
	newest   int64
}

// start registers the index with the API's Application informer on the
// first call, and waits until the index holds what the informer held
// then.
func (x *appIndex) start(ctx context.Context, a *API) error {
	x.register.Lock()
	defer x.register.Unlock()
	if x.synced == nil {
		inf, err := a.Cache.GetInformer(ctx, &v1alpha1.Application{})
		if err != nil {
			return fmt.Errorf("get the Application informer: %w", err)
		}
		reg, err := inf.AddEventHandler(x.handler(a.Namespace))
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
// namespace.
func (x *appIndex) handler(namespace string) toolscache.ResourceEventHandler {
	in := func(obj any) (*v1alpha1.Application, bool) { return notifiedApp(obj, namespace) }
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

// notifiedApp is the Application of an informer's notification, and
// whether it is one of namespace.
func notifiedApp(obj any, namespace string) (*v1alpha1.Application, bool) {
	if t, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	app, ok := obj.(*v1alpha1.Application)
	return app, ok && app.Namespace == namespace
}

// set puts app in the index in place of the Application of its name.
// One of a batch (the informer's first list) leaves the order to be
// sorted once, when the index is next read.
func (x *appIndex) set(app *v1alpha1.Application, batch bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.byName == nil {
		x.byName = map[string]*v1alpha1.Application{}
	}
	_, known := x.byName[app.Name]
	x.byName[app.Name] = app
	x.newest = max(x.newest, versionOf(app))
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
func (x *appIndex) remove(app *v1alpha1.Application) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.newest = max(x.newest, versionOf(app))
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
func (x *appIndex) position(name string) (int, bool) {
	return slices.BinarySearchFunc(x.order, name, func(a *v1alpha1.Application, name string) int { return strings.Compare(a.Name, name) })
}

// list is the index's Applications in name order, shared and never to
// be changed, and the newest resourceVersion it has seen.
func (x *appIndex) list() ([]*v1alpha1.Application, int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.unsorted {
		x.order = x.order[:0]
		for _, app := range x.byName {
			x.order = append(x.order, app)
		}
		sortByName(x.order)
		x.unsorted = false
	}
	if x.stale || x.snapshot == nil {
		x.snapshot = append(make([]*v1alpha1.Application, 0, len(x.order)), x.order...)
		x.stale = false
	}
	return x.snapshot, x.newest
}

// sortByName orders apps by name, as Argo CD lists them.
func sortByName(apps []*v1alpha1.Application) {
	slices.SortFunc(apps, func(x, y *v1alpha1.Application) int { return strings.Compare(x.Name, y.Name) })
}
