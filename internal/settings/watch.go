package settings

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// Watcher holds the current snapshot and keeps it up to date: one
// informer per settings object, each selecting its object by name in the
// control-plane namespace. A change that parses replaces the snapshot and
// is announced to subscribers; one that does not is logged, naming the
// key, and the last good snapshot stays in force.
type Watcher struct {
	namespace string
	stores    map[string]cache.Store
	current   atomic.Pointer[Settings]
	changed   chan struct{}

	mu     sync.Mutex
	subs   []func(context.Context, *Settings)
	err    error
	warned map[string]bool
}

// Watch reads the settings once and keeps watching them until ctx ends.
// It returns once every informer has synced; an error then (an object
// that does not parse) is returned, as there is no good snapshot to keep.
func Watch(ctx context.Context, cfg *rest.Config, namespace string) (*Watcher, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	w := &Watcher{namespace: namespace, stores: map[string]cache.Store{}, changed: make(chan struct{}, 1), warned: map[string]bool{}}
	var synced []cache.InformerSynced
	watch := func(resource, name string, obj runtime.Object) {
		lw := cache.NewListWatchFromClient(cs.CoreV1().RESTClient(), resource, namespace, fields.OneTermEqualSelector("metadata.name", name))
		inf := cache.NewSharedIndexInformer(lw, obj, 0, cache.Indexers{})
		_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { w.poke() },
			UpdateFunc: func(any, any) { w.poke() },
			DeleteFunc: func(any) { w.poke() },
		})
		w.stores[name] = inf.GetStore()
		synced = append(synced, inf.HasSynced)
		go inf.RunWithContext(ctx)
	}
	for _, name := range ConfigMaps {
		watch("configmaps", name, &corev1.ConfigMap{})
	}
	watch("secrets", Secret, &corev1.Secret{})
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return nil, fmt.Errorf("read settings in namespace %s: %w", namespace, context.Cause(ctx))
	}
	select {
	case <-w.changed: // the informers' first adds, read below
	default:
	}
	s, err := Parse(w.data())
	if err != nil {
		return nil, fmt.Errorf("settings in namespace %s: %w", namespace, err)
	}
	w.current.Store(s)
	w.warn(logr.FromContextOrDiscard(ctx), s)
	go w.run(ctx)
	return w, nil
}

// Current is the snapshot in force.
func (w *Watcher) Current() *Settings { return w.current.Load() }

// Err is why the last change was not taken, nil when it was.
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Subscribe calls fn with each new snapshot, after it is in force.
func (w *Watcher) Subscribe(fn func(context.Context, *Settings)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.subs = append(w.subs, fn)
}

func (w *Watcher) poke() {
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

func (w *Watcher) run(ctx context.Context) {
	log := logr.FromContextOrDiscard(ctx).WithName("settings")
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.changed:
		}
		s, err := Parse(w.data())
		w.mu.Lock()
		w.err = err
		subs := append([]func(context.Context, *Settings){}, w.subs...)
		w.mu.Unlock()
		if err != nil {
			log.Error(err, "settings not applied; the previous ones stay in force", "namespace", w.namespace)
			continue
		}
		w.current.Store(s)
		log.Info("settings applied", "namespace", w.namespace, "customizations", s.CustomizationKey())
		w.warn(log, s)
		for _, fn := range subs {
			fn(ctx, s)
		}
	}
}

// warn logs once each key that is set but not supported.
func (w *Watcher) warn(log logr.Logger, s *Settings) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, key := range s.Unsupported {
		if !w.warned[key] {
			w.warned[key] = true
			log.Info("setting not supported by capstan; it has no effect", "key", key)
		}
	}
}

// data is the content of the settings objects in the informers' stores.
func (w *Watcher) data() Data {
	out := Data{}
	for name, store := range w.stores {
		obj, ok, _ := store.GetByKey(w.namespace + "/" + name)
		if !ok {
			continue
		}
		switch o := obj.(type) {
		case *corev1.ConfigMap:
			out[name] = o.Data
		case *corev1.Secret:
			kv := make(map[string]string, len(o.Data))
			for k, v := range o.Data {
				kv[k] = string(v)
			}
			out[name] = kv
		}
	}
	return out
}
