package server

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestReadYourWrites writes Applications, AppProjects, cluster and
// repository credentials Secrets through the API and reads each back at
// once, many times: the reads come from the informer cache, and each write
// is answered only once the cache shows it, so a read never misses it.
func TestReadYourWrites(t *testing.T) {
	s := newTestServer(t)
	admin := s.loginAdmin(t)
	// code answers a request's status and body.
	code := func(method, path string, body any) (int, string) {
		t.Helper()
		resp := s.do(t, admin, method, path, body)
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(data)
	}
	want := func(what string, got int, body string, status int) {
		t.Helper()
		if got != status {
			t.Errorf("%s: %d, want %d: %s", what, got, status, body)
		}
	}
	for i := range 20 {
		name := fmt.Sprintf("rw-%d", i)
		app := appIn(s, name, "", "https://git.example.com/rw")
		c, body := code(http.MethodPost, "/api/v1/applications?validate=false", app)
		want("create "+name, c, body, http.StatusOK)
		c, body = code(http.MethodGet, "/api/v1/applications/"+name, nil)
		want("get "+name+" after its create", c, body, http.StatusOK)
		app.Labels = map[string]string{"round": "two"}
		c, body = code(http.MethodPut, "/api/v1/applications/"+name+"?validate=false", app)
		want("update "+name, c, body, http.StatusOK)
		if c, body = code(http.MethodGet, "/api/v1/applications/"+name, nil); !strings.Contains(body, `"round":"two"`) {
			t.Errorf("get %s after its update: %d %s", name, c, body)
		}
		c, body = code(http.MethodDelete, "/api/v1/applications/"+name+"?cascade=false", nil)
		want("delete "+name, c, body, http.StatusOK)
		c, body = code(http.MethodGet, "/api/v1/applications/"+name, nil)
		want("get "+name+" after its delete", c, body, http.StatusForbidden)

		c, body = code(http.MethodPost, "/api/v1/projects", projectBody(name, "*"))
		want("create project "+name, c, body, http.StatusOK)
		c, body = code(http.MethodGet, "/api/v1/projects/"+name, nil)
		want("get project "+name+" after its create", c, body, http.StatusOK)
		c, body = code(http.MethodDelete, "/api/v1/projects/"+name, nil)
		want("delete project "+name, c, body, http.StatusOK)
		c, body = code(http.MethodGet, "/api/v1/projects/"+name, nil)
		want("get project "+name+" after its delete", c, body, http.StatusNotFound)

		server := "https://" + name + ".example:6443"
		c, body = code(http.MethodPost, "/api/v1/clusters", map[string]any{"server": server, "name": name})
		want("create cluster "+name, c, body, http.StatusOK)
		c, body = code(http.MethodGet, "/api/v1/clusters/"+url.PathEscape(server), nil)
		want("get cluster "+name+" after its create", c, body, http.StatusOK)

		creds := "https://git.example.com/" + name
		c, body = code(http.MethodPost, "/api/v1/repocreds", map[string]any{"url": creds, "username": "u", "password": "p"})
		want("create repo-creds "+name, c, body, http.StatusOK)
		if c, body = code(http.MethodGet, "/api/v1/repocreds", nil); !strings.Contains(body, creds) {
			t.Errorf("list repo-creds after the create of %s: %d %s", creds, c, body)
		}
	}
}
