package cli

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"testing"

	"k8s.io/client-go/rest"
)

// The controller's client does not ask the API server to compress: a
// watch stream would be gzipped event by event.
func TestControllerClientAsksForNoCompression(t *testing.T) {
	asked := make(chan string, 1)
	// Over TLS, as to an API server: client-go gives a plain-HTTP
	// config Go's default transport, whatever the config says.
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked <- r.Header.Get("Accept-Encoding")
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name     string
		tune     bool
		wantGzip bool
	}{{"client-go's default", false, true}, {"the controller's", true, false}} {
		ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
		cfg := &rest.Config{Host: srv.URL, TLSClientConfig: rest.TLSClientConfig{CAData: ca}}
		if tc.tune {
			tuneClient(cfg)
		}
		hc, err := rest.HTTPClientFor(cfg)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Get(srv.URL + "/api/v1/namespaces?watch=true")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := <-asked; (got == "gzip") != tc.wantGzip {
			t.Errorf("%s client sent Accept-Encoding %q, want gzip: %v", tc.name, got, tc.wantGzip)
		}
	}
}
