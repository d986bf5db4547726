package cluster

import (
	"context"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// Live watches the objects capstan manages on one cluster: only those with
// the label capstan.dev/managed=true, only of the kinds Applications use,
// and only their metadata. A change is reported on Events, so drift is seen
// when it happens rather than at the next poll.
type Live struct {
	factory  metadatainformer.SharedInformerFactory
	events   chan Event
	labelKey string

	mu       sync.Mutex
	watching map[schema.GroupVersionResource]cache.SharedIndexInformer
	kinds    map[schema.GroupVersionResource]schema.GroupVersionKind
	ctx      context.Context
}

// Event says that a managed object changed (or appeared, or went away).
type Event struct {
	Resource schema.GroupVersionResource
	Kind     schema.GroupVersionKind
	Object   *metav1.PartialObjectMetadata
}

// NewLive prepares the watches of the cluster cfg reaches, indexing
// objects by the instance label labelKey (application.instanceLabelKey)
// besides their tracking-id. Nothing is watched until Watch is called for
// a resource.
func NewLive(ctx context.Context, cfg *rest.Config, labelKey string) (*Live, error) {
	client, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	selector := v1alpha1.LabelCapstanManaged + "=true"
	factory := metadatainformer.NewFilteredSharedInformerFactory(client, 10*time.Hour, metav1.NamespaceAll, func(o *metav1.ListOptions) {
		o.LabelSelector = selector
	})
	return &Live{factory: factory, events: make(chan Event, 1024), labelKey: labelKey, watching: map[schema.GroupVersionResource]cache.SharedIndexInformer{}, kinds: map[schema.GroupVersionResource]schema.GroupVersionKind{}, ctx: ctx}, nil
}

// Events delivers changes of watched objects.
func (l *Live) Events() <-chan Event { return l.events }

// Watch starts watching gvr (whose kind is gvk), once, and waits until its
// first list is in.
func (l *Live) Watch(ctx context.Context, gvr schema.GroupVersionResource, gvk schema.GroupVersionKind) error {
	l.mu.Lock()
	inf, ok := l.watching[gvr]
	if !ok {
		l.kinds[gvr] = gvk
		inf = l.factory.ForResource(gvr).Informer()
		if err := inf.SetTransform(slim); err != nil {
			l.mu.Unlock()
			return err
		}
		if err := inf.AddIndexers(cache.Indexers{ownerIndex: l.ownerKeys}); err != nil {
			l.mu.Unlock()
			return err
		}
		_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { l.emit(gvr, obj) },
			UpdateFunc: func(_, obj any) { l.emit(gvr, obj) },
			DeleteFunc: func(obj any) { l.emit(gvr, obj) },
		})
		if err != nil {
			l.mu.Unlock()
			return err
		}
		l.watching[gvr] = inf
		go inf.Run(l.ctx.Done())
	}
	l.mu.Unlock()
	// A kind that cannot be listed (forbidden, or gone) must not hold a
	// worker forever: the caller reports it and tries again later.
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if !cache.WaitForCacheSync(waitCtx.Done(), inf.HasSynced) {
		return fmt.Errorf("watch %s: the first list did not complete: %w", gvr, waitCtx.Err())
	}
	return nil
}

// Owned returns the managed objects of gvr whose tracking names the
// Application app: by the tracking-id annotation, or by the instance label
// (under the Live's key) when byLabel. It reads an index, so its cost is that of what it returns,
// not of every object capstan manages.
func (l *Live) Owned(gvr schema.GroupVersionResource, app string, byLabel bool) []*metav1.PartialObjectMetadata {
	l.mu.Lock()
	inf, ok := l.watching[gvr]
	l.mu.Unlock()
	if !ok {
		return nil
	}
	key := "id:" + app
	if byLabel {
		key = "label:" + app
	}
	items, err := inf.GetIndexer().ByIndex(ownerIndex, key)
	if err != nil {
		return nil
	}
	out := make([]*metav1.PartialObjectMetadata, 0, len(items))
	for _, it := range items {
		if m, ok := it.(*metav1.PartialObjectMetadata); ok {
			out = append(out, m)
		}
	}
	return out
}

// ownerIndex indexes managed objects by the Application their tracking
// names: "id:<app>" from the tracking-id annotation, "label:<app>" from
// the instance label.
const ownerIndex = "owner"

func (l *Live) ownerKeys(obj any) ([]string, error) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return nil, nil
	}
	var keys []string
	if v, ok := m.Annotations[v1alpha1.AnnotationTrackingID]; ok {
		if id, err := tracking.Parse(v); err == nil {
			keys = append(keys, "id:"+id.App)
		}
	}
	if app := m.Labels[l.labelKey]; app != "" {
		keys = append(keys, "label:"+app)
	}
	return keys, nil
}

// Get returns the metadata of one managed object from memory.
func (l *Live) Get(gvr schema.GroupVersionResource, namespace, name string) (*metav1.PartialObjectMetadata, bool) {
	l.mu.Lock()
	inf, ok := l.watching[gvr]
	l.mu.Unlock()
	if !ok {
		return nil, false
	}
	key := name
	if namespace != "" {
		key = namespace + "/" + name
	}
	item, exists, err := inf.GetStore().GetByKey(key)
	if err != nil || !exists {
		return nil, false
	}
	m, ok := item.(*metav1.PartialObjectMetadata)
	return m, ok
}

func (l *Live) emit(gvr schema.GroupVersionResource, obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return
	}
	l.mu.Lock()
	gvk := l.kinds[gvr]
	l.mu.Unlock()
	select {
	case l.events <- Event{Resource: gvr, Kind: gvk, Object: m}:
	case <-l.ctx.Done():
	}
}

// lastApplied is kubectl's copy of the whole object in an annotation.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// slim drops from watched metadata what capstan never reads from memory and
// what makes up most of its size: managed fields and kubectl's copy of the
// object. Memory then grows with the number of managed objects, not their
// size.
func slim(obj any) (any, error) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return obj, nil
	}
	m.ManagedFields = nil
	if _, ok := m.Annotations[lastApplied]; ok {
		ann := make(map[string]string, len(m.Annotations)-1)
		for k, v := range m.Annotations {
			if k != lastApplied {
				ann[k] = v
			}
		}
		m.Annotations = ann
	}
	return m, nil
}
