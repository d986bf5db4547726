package server

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// storeInformer is what the cache's informer for one namespace is: its
// store can be read without copying the objects.
type storeInformer interface {
	GetIndexer() toolscache.Indexer
	LastSyncResourceVersion() string
}

// cachedApps are the Applications of the API's namespace as the informer
// holds them, with the resourceVersion the informer last saw. They are
// the store's own objects, shared and never to be changed: a list of
// thousands makes no copy of each, as a list through the client does.
// Without such an informer they come from the client's list.
func (a *API) cachedApps(ctx context.Context) ([]*v1alpha1.Application, string, error) {
	if a.Cache != nil {
		inf, err := a.Cache.GetInformer(ctx, &v1alpha1.Application{})
		if err != nil {
			return nil, "", fmt.Errorf("get the Application informer: %w", err)
		}
		if si, ok := inf.(storeInformer); ok {
			objs, err := si.GetIndexer().ByIndex(toolscache.NamespaceIndex, a.Namespace)
			if err == nil {
				apps := make([]*v1alpha1.Application, 0, len(objs))
				for _, obj := range objs {
					if app, ok := obj.(*v1alpha1.Application); ok {
						apps = append(apps, app)
					}
				}
				return apps, si.LastSyncResourceVersion(), nil
			}
		}
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
	version := list.ResourceVersion
	if version == "" && newest > 0 {
		version = strconv.FormatInt(newest, 10)
	}
	return apps, version, nil
}

// sortByName orders apps by name, as Argo CD lists them.
func sortByName(apps []*v1alpha1.Application) {
	slices.SortFunc(apps, func(x, y *v1alpha1.Application) int { return strings.Compare(x.Name, y.Name) })
}
