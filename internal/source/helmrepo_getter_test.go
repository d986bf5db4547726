package source

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// A Helm repository's credentials go to its own scheme, host and port
// only: an archive its index lists on another server is fetched without
// them (capstan does not support helm.passCredentials).
func TestHelmRepoCredentialsStayOnTheirServer(t *testing.T) {
	serve := func(sawAuth *atomic.Bool) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sawAuth.Store(r.Header.Get("Authorization") != "")
			w.Write([]byte("ok"))
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	var repoAuth, otherAuth atomic.Bool
	repoSrv, other := serve(&repoAuth), serve(&otherAuth)
	g, err := newHTTPGetter(context.Background(), Repository{URL: repoSrv.URL + "/charts", Username: "reader", Password: "s3cret"}, repoSrv.URL+"/charts")
	if err != nil {
		t.Fatal(err)
	}
	for _, href := range []string{repoSrv.URL + "/charts/index.yaml", other.URL + "/common-1.0.0.tgz"} {
		if _, err := g.Get(href); err != nil {
			t.Fatalf("GET %s: %v", href, err)
		}
	}
	if !repoAuth.Load() {
		t.Error("the repository's own server got no credentials")
	}
	if otherAuth.Load() {
		t.Error("another server (another port) got the repository's credentials")
	}
}
