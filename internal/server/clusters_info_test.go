package server

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/capstan-cd/capstan/internal/cluster"
)

// shownCluster is what the tests read of a cluster of the API.
type shownCluster struct {
	Server          string          `json:"server"`
	Name            string          `json:"name"`
	ServerVersion   string          `json:"serverVersion"`
	ConnectionState connectionState `json:"connectionState"`
	Info            struct {
		ServerVersion     string          `json:"serverVersion"`
		ConnectionState   connectionState `json:"connectionState"`
		ApplicationsCount int             `json:"applicationsCount"`
	} `json:"info"`
}

// closedPort is an address of 127.0.0.1 nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// listClusters answers GET /api/v1/clusters as admin, by server.
func (e *resEnv) listClusters(t *testing.T) map[string]shownCluster {
	t.Helper()
	code, out := e.do(t, "admin", "GET", "/api/v1/clusters", nil)
	if code != http.StatusOK {
		t.Fatalf("list clusters: %d %s", code, out)
	}
	var list struct{ Items []shownCluster }
	decode(t, out, &list)
	by := map[string]shownCluster{}
	for _, c := range list.Items {
		by[c.Server] = c
	}
	return by
}

// TestClusterInfo lists the in-cluster destination, which answers with
// the control plane's version, and a cluster whose server is a closed
// port, which fails with a message naming it; each with the number of
// Applications deploying to it, in info and at the top level.
func TestClusterInfo(t *testing.T) {
	e := newResEnv(t)
	closed := "https://" + closedPort(t)
	code, out := e.do(t, "admin", "POST", "/api/v1/clusters", map[string]any{"server": closed, "name": "closed", "config": map[string]any{"tlsClientConfig": map[string]any{"insecure": true}}})
	if code != http.StatusOK || !strings.Contains(string(out), `"status":"Failed"`) {
		t.Fatalf("create a cluster at a closed port: %d %s, want its connection Failed", code, out)
	}
	e.createApp(t, "one", "https://git.example/one.git", "default")
	e.createApp(t, "two", "https://git.example/two.git", "default")

	by := e.listClusters(t)
	in := by[cluster.InClusterServer]
	if !strings.HasPrefix(in.Info.ServerVersion, "v1.37.") || in.ServerVersion != in.Info.ServerVersion {
		t.Errorf("in-cluster version: info %q, top level %q; want the control plane's v1.37.x in both", in.Info.ServerVersion, in.ServerVersion)
	}
	if st := in.Info.ConnectionState; st.Status != "Successful" || st.AttemptedAt == nil || in.ConnectionState.Status != "Successful" {
		t.Errorf("in-cluster connection: %+v, top level %+v; want Successful with its time", st, in.ConnectionState)
	}
	if in.Info.ApplicationsCount != 2 {
		t.Errorf("in-cluster counts %d applications, want 2", in.Info.ApplicationsCount)
	}

	bad := by[closed]
	st := bad.Info.ConnectionState
	if st.Status != "Failed" || !strings.Contains(st.Message, "closed") || !strings.Contains(st.Message, closed) || bad.ConnectionState.Status != "Failed" {
		t.Errorf("closed port connection: %+v, top level %+v; want Failed with a message naming cluster closed and its server", st, bad.ConnectionState)
	}
	if bad.Info.ServerVersion != "" || bad.Info.ApplicationsCount != 0 {
		t.Errorf("closed port: version %q, %d applications; want none", bad.Info.ServerVersion, bad.Info.ApplicationsCount)
	}

	code, out = e.do(t, "admin", "GET", "/api/v1/clusters/"+url.PathEscape(cluster.InClusterServer), nil)
	var one shownCluster
	decode(t, out, &one)
	if code != http.StatusOK || one.Info.ConnectionState.Status != "Successful" || !strings.HasPrefix(one.Info.ServerVersion, "v1.37.") {
		t.Errorf("get in-cluster: %d %s; want Successful and v1.37.x", code, out)
	}
}

// TestClusterInfoIsCached counts the /version requests a cluster gets:
// one for many lists within a minute, one more after it, and one more at
// once when the cluster's credentials change.
func TestClusterInfoIsCached(t *testing.T) {
	e := newResEnv(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/version" {
			http.NotFound(w, r)
			return
		}
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"major":"1","minor":"99","gitVersion":"v1.99.1"}`))
	}))
	t.Cleanup(srv.Close)
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	e.api.Backends.probes.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }

	put := func(token string) {
		t.Helper()
		code, out := e.do(t, "admin", "POST", "/api/v1/clusters?upsert=true", map[string]any{"server": srv.URL, "name": "counted", "config": map[string]any{"bearerToken": token}})
		if code != http.StatusOK {
			t.Fatalf("write cluster: %d %s", code, out)
		}
	}
	put("first")
	for range 3 {
		if c := e.listClusters(t)[srv.URL]; c.Info.ServerVersion != "v1.99.1" || c.Info.ConnectionState.Status != "Successful" {
			t.Fatalf("cluster: %+v; want v1.99.1, Successful", c)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("a write and three lists within a minute made %d /version requests, want 1", n)
	}
	advance(59 * time.Second)
	e.listClusters(t)
	if n := hits.Load(); n != 1 {
		t.Errorf("after 59s: %d /version requests, want still 1", n)
	}
	advance(2 * time.Second)
	c := e.listClusters(t)[srv.URL]
	if n := hits.Load(); n != 2 {
		t.Errorf("after 61s: %d /version requests, want 2", n)
	}
	if want := now.UTC(); c.Info.ConnectionState.AttemptedAt == nil || !c.Info.ConnectionState.AttemptedAt.Equal(want) {
		t.Errorf("attemptedAt %v, want the time of the second check %v", c.Info.ConnectionState.AttemptedAt, want)
	}
	put("rotated")
	if n := hits.Load(); n != 3 {
		t.Errorf("after new credentials: %d /version requests, want 3", n)
	}
}
