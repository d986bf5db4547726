package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
)

// streamWriteTimeout bounds each write of a stream: a client that takes
// longer to read one event is cut off. The stream itself has no end.
const streamWriteTimeout = 10 * time.Second

// streamHeartbeat is how often an idle server-sent event stream sends a
// comment, so that proxies keep it open and dead clients are noticed.
var streamHeartbeat = 15 * time.Second

// streamApplications answers GET /api/v1/stream/applications: the
// Applications that pass the list's filters (and name, resourceVersion)
// and that the caller may get, first as ADDED (unless the client gives a
// resourceVersion, from which it goes on), then each change as it
// happens. The answer is server-sent events when the client accepts
// text/event-stream, else one JSON object a line, as Argo CD's gateway
// writes watches.
func (a *API) streamApplications(w http.ResponseWriter, r *http.Request) {
	q, ok := a.readAppQuery(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	sub, out, cancel, ok := a.openEvents(w, r)
	if !ok {
		return
	}
	defer cancel()
	out.fields = newFieldTree(q.Fields)
	if q.MinVersion == 0 {
		initial, _, err := a.visibleApps(r, q)
		if err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "list Applications for a stream")
			return
		}
		// One flush for the whole initial list, not one per Application.
		for _, app := range initial {
			if out.queue(&appEvent{Type: eventAdded, App: app}) != nil {
				return
			}
		}
		if out.flush() != nil {
			return
		}
	}
	follow(r, sub, out, func(ev *appEvent) (bool, error) {
		if !q.matches(ev.App) || !a.can(r, resourceApplications, "get", cachedRBACObject(ev.App)) {
			return false, nil
		}
		return false, out.send(ev)
	})
}

// openEvents subscribes to the changes of Applications and starts the
// answer of a stream, answering the request itself when it cannot.
func (a *API) openEvents(w http.ResponseWriter, r *http.Request) (*subscriber, *eventWriter, func(), bool) {
	sub, cancel, err := a.appEvents(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "%v", err)
		return nil, nil, nil, false
	}
	out := newEventWriter(w, strings.Contains(r.Header.Get("Accept"), "text/event-stream"))
	if out.start() != nil {
		cancel()
		return nil, nil, nil, false
	}
	return sub, out, cancel, true
}

// follow hands each event of sub to handle, and keeps the stream alive
// with heartbeats, until the request ends, sub is dropped, or handle
// stops or fails.
func follow(r *http.Request, sub *subscriber, out *eventWriter, handle func(*appEvent) (stop bool, err error)) {
	heartbeat := time.NewTicker(streamHeartbeat)
	defer heartbeat.Stop()
	for {
		var stop bool
		var err error
		select {
		case <-r.Context().Done():
			return
		case <-sub.gone:
			ctrl.LoggerFrom(r.Context()).V(1).Info("stream client fell behind, dropped", "subject", callerName(r))
			return
		case ev := <-sub.events:
			stop, err = handle(ev)
		case <-heartbeat.C:
			err = out.heartbeat()
		}
		if stop || err != nil {
			return
		}
	}
}

// eventWriter writes a stream's events, each under its own write
// deadline.
type eventWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	sse bool
	// fields keeps only these paths of each event; empty keeps all.
	fields fieldTree
}

func newEventWriter(w http.ResponseWriter, sse bool) *eventWriter {
	return &eventWriter{w: w, rc: http.NewResponseController(w), sse: sse}
}

// start sends the headers.
func (e *eventWriter) start() error {
	if e.sse {
		e.w.Header().Set("Content-Type", "text/event-stream")
	} else {
		e.w.Header().Set("Content-Type", "application/json")
	}
	e.w.Header().Set("Cache-Control", "no-cache")
	e.w.Header().Set("X-Accel-Buffering", "no")
	e.w.WriteHeader(http.StatusOK)
	if err := e.write(); err != nil {
		return err
	}
	return e.flush()
}

// send writes one event and flushes it.
func (e *eventWriter) send(ev *appEvent) error {
	if err := e.queue(ev); err != nil {
		return err
	}
	return e.flush()
}

// queue writes one event, to be flushed later. The event's encoding is
// shared by every stream; one that keeps only some fields filters its own
// copy.
func (e *eventWriter) queue(ev *appEvent) error {
	data, err := ev.encoded()
	if err != nil {
		return err
	}
	if len(e.fields) > 0 {
		if data, err = e.fields.encode(json.RawMessage(data)); err != nil {
			return err
		}
	}
	return e.writeData(data)
}

// writeData writes one event's encoded data, to be flushed later.
func (e *eventWriter) writeData(data []byte) error {
	if e.sse {
		return e.write([]byte("data: "), data, []byte("\n\n"))
	}
	return e.write(data, []byte("\n"))
}

// heartbeat keeps an idle server-sent event stream open; a stream of JSON
// lines has no place for one.
func (e *eventWriter) heartbeat() error {
	if !e.sse {
		return nil
	}
	if err := e.write([]byte(": heartbeat\n\n")); err != nil {
		return err
	}
	return e.flush()
}

// write writes parts under a fresh write deadline, without flushing.
func (e *eventWriter) write(parts ...[]byte) error {
	if err := e.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	for _, p := range parts {
		if _, err := e.w.Write(p); err != nil {
			return err
		}
	}
	return nil
}

func (e *eventWriter) flush() error {
	if err := e.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}
