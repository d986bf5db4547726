package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestServerURL(t *testing.T) {
	for _, tc := range []struct {
		server    string
		plaintext bool
		want      string
		wantErr   bool
	}{
		{server: "cd.example:8080", want: "https://cd.example:8080"},
		{server: "cd.example:8080", plaintext: true, want: "http://cd.example:8080"},
		{server: "http://cd.example/", want: "http://cd.example"},
		{server: "https://cd.example/base/", want: "https://cd.example/base"},
		{server: "ftp://cd.example", wantErr: true},
		{server: "", wantErr: true},
	} {
		got, err := serverURL(tc.server, tc.plaintext)
		if (err != nil) != tc.wantErr {
			t.Errorf("serverURL(%q): %v, want error %v", tc.server, err, tc.wantErr)
			continue
		}
		if err == nil && got.String() != tc.want {
			t.Errorf("serverURL(%q) = %s, want %s", tc.server, got, tc.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	for body, want := range map[string]string{
		`{"error":"e","code":5,"message":"application x not found"}`: "application x not found",
		`{"error":"only error"}`:                                     "only error",
		"plain text\n":                                               "plain text",
		"":                                                           "no message",
	} {
		if got := errorMessage([]byte(body)); got != want {
			t.Errorf("errorMessage(%q) = %q, want %q", body, got, want)
		}
	}
}

func TestReadEvents(t *testing.T) {
	app := func(name string) string {
		return fmt.Sprintf(`{"result":{"type":"MODIFIED","application":{"metadata":{"name":%q}}}}`, name)
	}
	for _, tc := range []struct {
		name   string
		stream string
		want   []string
	}{
		{"server-sent events", "data: " + app("a") + "\n\n: keep-alive\n\nevent: message\ndata: " + app("b") + "\n\n", []string{"MODIFIED a", "MODIFIED b"}},
		{"newline-delimited JSON", app("a") + "\n" + app("b") + "\n", []string{"MODIFIED a", "MODIFIED b"}},
		{"bare events", `{"type":"ADDED","application":{"metadata":{"name":"c"}}}` + "\n", []string{"ADDED c"}},
		{"last event without a blank line", "data: " + app("a"), []string{"MODIFIED a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			err := readEvents(strings.NewReader(tc.stream), func(data []byte) (bool, error) {
				ev, err := decodeEvent(data)
				if err != nil {
					return true, err
				}
				got = append(got, ev.Type+" "+ev.Application.Name)
				return false, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := decodeEvent([]byte(`{"error":{"message":"permission denied"}}`)); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("an error event decoded as %v", err)
	}
}

// TestHandlerTransportStreams checks the in-memory transport of --core:
// status, headers and errors pass as over the network, and an answer is
// read while the handler still writes.
func TestHandlerTransportStreams(t *testing.T) {
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/missing", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":"x","code":5,"message":"application x not found"}`))
	})
	mux.HandleFunc("GET /api/v1/stream/applications", func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, "data: {\"result\":{\"type\":\"ADDED\",\"application\":{\"metadata\":{\"name\":%q}}}}\n\n", r.URL.Query().Get("name"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	c := &apiClient{base: mustURL(t, "http://core"), http: &http.Client{Transport: handlerTransport{mux}}}
	err := c.do(context.Background(), http.MethodGet, "/api/v1/missing", nil, nil, nil)
	var apiErr *apiError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound || apiErr.Message != "application x not found" || !isNotFound(err) {
		t.Fatalf("a 404 came back as %v", err)
	}
	var got string
	err = c.watchApplication(context.Background(), "web", func(ev appEvent) (bool, error) {
		got = ev.Application.Name
		return true, nil
	})
	close(release)
	if err != nil || got != "web" {
		t.Fatalf("stream: got %q, %v", got, err)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestRetryConflict(t *testing.T) {
	conflict := &apiError{Status: http.StatusConflict, Message: "the object has been modified"}
	calls := 0
	err := retryConflict(context.Background(), func() error {
		calls++
		if calls < 3 {
			return conflict
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("two conflicts then success: %v after %d calls", err, calls)
	}
	calls = 0
	notFound := &apiError{Status: http.StatusNotFound}
	if err := retryConflict(context.Background(), func() error { calls++; return notFound }); err != notFound || calls != 1 {
		t.Errorf("a 404 was retried: %v after %d calls", err, calls)
	}
}
