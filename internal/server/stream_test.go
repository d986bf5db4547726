package server

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/google/go-cmp/cmp"
)

// streamEvent is one event of the Application stream, as a client reads it.
type streamEvent struct {
	Result struct {
		Type        string               `json:"type"`
		Application v1alpha1.Application `json:"application"`
	} `json:"result"`
}

// openStream opens the Application stream with query as token; sse asks
// for server-sent events. The events arrive on the channel until the test
// ends.
func openStream(t *testing.T, s *testServer, token, query string, sse bool) <-chan streamEvent {
	t.Helper()
	lines := streamLines(t, s, token, "/api/v1/stream/applications"+query, sse)
	events := make(chan streamEvent, 100)
	go func() {
		defer close(events)
		for line := range lines {
			var ev streamEvent
			if err := json.Unmarshal(line, &ev); err != nil {
				t.Errorf("stream line %q: %v", line, err)
				return
			}
			events <- ev
		}
	}()
	return events
}

// streamLines opens a stream at path and gives the data of each of its
// events, until the stream or the test ends.
func streamLines(t *testing.T, s *testServer, token, path string, sse bool) <-chan []byte {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if sse {
		req.Header.Set("Accept", "text/event-stream")
	}
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		t.Fatalf("stream: status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); sse != (ct == "text/event-stream") {
		t.Errorf("stream content type %q (server-sent events asked: %v)", ct, sse)
	}
	out := make(chan []byte, 100)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		lines := bufio.NewScanner(resp.Body)
		lines.Buffer(nil, 1<<20)
		for lines.Scan() {
			line := lines.Text()
			if sse {
				data, ok := strings.CutPrefix(line, "data: ")
				if !ok {
					continue // blank separators and heartbeat comments
				}
				line = data
			}
			out <- []byte(line)
		}
	}()
	return out
}

// next is the stream's next event, as "TYPE name"; the test fails if none
// comes within a generous bound.
func next(t *testing.T, events <-chan streamEvent) string {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("the stream ended")
		}
		return ev.Result.Type + " " + ev.Result.Application.Name
	case <-time.After(30 * time.Second):
		t.Fatal("no stream event")
		return ""
	}
}

// The stream starts with what the caller may see, then sends each change
// of those Applications, and nothing of the others.
func TestApplicationStream(t *testing.T) {
	s := newTestServer(t, withAccount("alice", "login", "alice-password"), withGrants(grants{"alice": {"get team-a"}}))
	admin, alice := s.loginAdmin(t), s.login(t, "alice", "alice-password")
	createApps(t, s, appIn(s, "a1", "team-a", "https://git.example.com/a"), appIn(s, "b1", "team-b", "https://git.example.com/b"))

	mine := openStream(t, s, alice, "", true)
	theirs := openStream(t, s, admin, "?projects=team-b", false)
	one := openStream(t, s, admin, "?name=a1", false)
	if got := next(t, mine); got != "ADDED a1" {
		t.Fatalf("alice's stream began with %q, want ADDED a1", got)
	}
	if got := next(t, theirs); got != "ADDED b1" {
		t.Fatalf("team-b's stream began with %q, want ADDED b1", got)
	}
	if got := next(t, one); got != "ADDED a1" {
		t.Fatalf("a1's stream began with %q", got)
	}

	// b2 comes first, yet alice's next event is a2's: b2 is not hers.
	createApps(t, s, appIn(s, "b2", "team-b", "https://git.example.com/b"), appIn(s, "a2", "team-a", "https://git.example.com/a"))
	if got := next(t, mine); got != "ADDED a2" {
		t.Fatalf("alice's stream sent %q, want ADDED a2", got)
	}
	a2 := stored(t, s, "a2")
	a2.Labels = map[string]string{"changed": "yes"}
	if err := s.Client.Update(t.Context(), a2); err != nil {
		t.Fatal(err)
	}
	if got := next(t, mine); got != "MODIFIED a2" {
		t.Fatalf("alice's stream sent %q, want MODIFIED a2", got)
	}
	if err := s.Client.Delete(t.Context(), a2); err != nil {
		t.Fatal(err)
	}
	if got := next(t, mine); got != "DELETED a2" {
		t.Fatalf("alice's stream sent %q, want DELETED a2", got)
	}
	if got := next(t, theirs); got != "ADDED b2" {
		t.Fatalf("team-b's stream sent %q, want ADDED b2 and nothing of team-a", got)
	}

	// A stream from a resourceVersion sends only what is newer.
	b2 := stored(t, s, "b2")
	since := openStream(t, s, admin, "?projects=team-b&resourceVersion="+b2.ResourceVersion, true)
	b2.Labels = map[string]string{"changed": "yes"}
	if err := s.Client.Update(t.Context(), b2); err != nil {
		t.Fatal(err)
	}
	if got := next(t, since); got != "MODIFIED b2" {
		t.Fatalf("a stream from a resourceVersion sent %q first, want MODIFIED b2", got)
	}

	a1 := stored(t, s, "a1")
	a1.Labels = map[string]string{"changed": "yes"}
	if err := s.Client.Update(t.Context(), a1); err != nil {
		t.Fatal(err)
	}
	if got := next(t, one); got != "MODIFIED a1" {
		t.Fatalf("a1's stream sent %q, want MODIFIED a1 and nothing of the others", got)
	}
}

// An idle stream of server-sent events sends heartbeat comments.
func TestApplicationStreamHeartbeat(t *testing.T) {
	defer func(d time.Duration) { streamHeartbeat = d }(streamHeartbeat)
	streamHeartbeat = 10 * time.Millisecond
	s := newTestServer(t)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/api/v1/stream/applications", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.loginAdmin(t))
	req.Header.Set("Accept", "text/event-stream")
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != ": heartbeat\n" {
		t.Errorf("an idle stream sent %q (%v), want a heartbeat comment", line, err)
	}
}

// A stream keeps only the fields asked for, as the web UI asks.
func TestApplicationStreamFields(t *testing.T) {
	s := newTestServer(t)
	admin := s.loginAdmin(t)
	createApps(t, s, appIn(s, "a1", "team-a", "https://git.example.com/a"))
	lines := streamLines(t, s, admin, "/api/v1/stream/applications?fields=result.type,result.application.metadata.name,result.application.spec.project", true)
	var got any
	select {
	case line := <-lines:
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no stream event")
	}
	want := map[string]any{"result": map[string]any{"type": "ADDED", "application": map[string]any{
		"metadata": map[string]any{"name": "a1"}, "spec": map[string]any{"project": "team-a"}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}
}
