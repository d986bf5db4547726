package server

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	toolscache "k8s.io/client-go/tools/cache"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/appcache"
)

// Event types of the Application stream, as Kubernetes watches name them.
const (
	eventAdded    = "ADDED"
	eventModified = "MODIFIED"
	eventDeleted  = "DELETED"
)

// subscriberBuffer is how many events a stream's client may lag behind
// before it is dropped; it then reconnects and starts from a fresh list.
const subscriberBuffer = 1024

// appEvent is one change of an Application. It is shared by every stream,
// and expanded and encoded at most once, when a stream first sends it;
// App is the informer's object, never changed.
type appEvent struct {
	Type string
	App  *appcache.Application

	expandOnce sync.Once
	full       *v1alpha1.Application
	expandErr  error

	encodeOnce sync.Once
	data       []byte
	encodeErr  error
}

// application is the whole Application of the event, shared by every
// stream and never to be changed.
func (e *appEvent) application() (*v1alpha1.Application, error) {
	e.expandOnce.Do(func() { e.full, e.expandErr = e.App.Expand() })
	return e.full, e.expandErr
}

// encoded is the event in the shape of Argo CD's watch answers:
// {"result":{"type":...,"application":{...}}}.
func (e *appEvent) encoded() ([]byte, error) {
	e.encodeOnce.Do(func() {
		app, err := e.application()
		if err != nil {
			e.encodeErr = err
			return
		}
		type result struct {
			Type        string                `json:"type"`
			Application *v1alpha1.Application `json:"application"`
		}
		e.data, e.encodeErr = json.Marshal(struct {
			Result result `json:"result"`
		}{result{e.Type, app}})
	})
	return e.data, e.encodeErr
}

// subscriber receives the hub's events until it is dropped.
type subscriber struct {
	events chan *appEvent
	// gone is closed when the hub drops the subscriber for lagging.
	gone     chan struct{}
	dropOnce sync.Once
}

func (s *subscriber) drop() { s.dropOnce.Do(func() { close(s.gone) }) }

// streamHub fans the events of one informer out to every stream: a
// publish never waits for a subscriber, and one that cannot take an event
// is dropped rather than holding up the others.
type streamHub struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{}

	// register guards the one registration with the informer.
	register   sync.Mutex
	registered bool
}

// subscribe adds a subscriber; cancel removes it.
func (h *streamHub) subscribe() (s *subscriber, cancel func()) {
	s = &subscriber{events: make(chan *appEvent, subscriberBuffer), gone: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[*subscriber]struct{}{}
	}
	h.subs[s] = struct{}{}
	return s, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs, s)
	}
}

// publish hands ev to every subscriber that has room for it and drops
// the others.
func (h *streamHub) publish(ev *appEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		select {
		case s.events <- ev:
		default:
			s.drop()
			delete(h.subs, s)
		}
	}
}

// appEvents subscribes to the changes of the Applications of the API's
// namespace. The hub registers with the cache's Application informer on
// the first call, and stays registered: every stream shares it.
func (a *API) appEvents(ctx context.Context) (*subscriber, func(), error) {
	if a.Cache == nil {
		return nil, nil, errNoInformers
	}
	h := &a.streams
	h.register.Lock()
	defer h.register.Unlock()
	if !h.registered {
		inf, err := a.Cache.GetInformer(ctx, &v1alpha1.Application{})
		if err != nil {
			return nil, nil, fmt.Errorf("get the Application informer: %w", err)
		}
		if _, err := inf.AddEventHandler(h.handler(a.Namespace)); err != nil {
			return nil, nil, fmt.Errorf("watch Applications: %w", err)
		}
		h.registered = true
	}
	sub, cancel := h.subscribe()
	return sub, cancel, nil
}

// handler turns the informer's notifications into events of namespace.
// Objects the informer lists when the hub registers are not events: each
// stream sends its own initial list.
func (h *streamHub) handler(namespace string) toolscache.ResourceEventHandler {
	in := func(obj any) (*appcache.Application, bool) { return appcache.Notified(obj, namespace) }
	return toolscache.ResourceEventHandlerDetailedFuncs{
		AddFunc: func(obj any, initial bool) {
			if app, ok := in(obj); ok && !initial {
				h.publish(&appEvent{Type: eventAdded, App: app})
			}
		},
		UpdateFunc: func(old, obj any) {
			prev, _ := in(old)
			if app, ok := in(obj); ok && (prev == nil || prev.ResourceVersion != app.ResourceVersion) {
				h.publish(&appEvent{Type: eventModified, App: app})
			}
		},
		DeleteFunc: func(obj any) {
			if app, ok := in(obj); ok {
				h.publish(&appEvent{Type: eventDeleted, App: app})
			}
		},
	}
}

// errNoInformers is the answer of a stream when the API has no cache.
var errNoInformers = fmt.Errorf("the API serves no event stream: it has no informer cache")
