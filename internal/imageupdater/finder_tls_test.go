package imageupdater

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/capstan-cd/capstan/internal/testenv/registry"
)

// TestFinderRegistryTLS reaches a registry whose certificate no system
// root signed: refused by default, trusted through ca_data, or not
// verified when insecure.
func TestFinderRegistryTLS(t *testing.T) {
	reg := registry.Start(t, registry.Options{TLS: true})
	pushTLS(t, reg)
	t.Setenv("TLS_REGISTRY_CREDS", reg.Username+":"+reg.Password)
	image := reg.Host + "/app"
	indent := strings.ReplaceAll(strings.TrimSpace(string(reg.CAData)), "\n", "\n    ")
	tests := []struct {
		name    string
		extra   string
		wantErr string
	}{
		{"unknown authority", "", "certificate"},
		{"ca_data", "  ca_data: |\n    " + indent + "\n", ""},
		{"insecure", "  insecure: yes\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf, err := ParseRegistriesConf(fmt.Appendf(nil, "registries:\n- name: tls\n  api_url: https://%s\n  prefix: %s\n  credentials: env:TLS_REGISTRY_CREDS\n%s", reg.Host, reg.Host, tt.extra))
			if err != nil {
				t.Fatal(err)
			}
			f := NewFinder(FinderOptions{})
			f.SetRegistries(conf)
			got, err := f.Updates(t.Context(), app(map[string]string{AnnotationImageList: "app=" + image}, image+":1.0.0"))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || len(got) != 0 {
					t.Errorf("Updates = %+v, %v; want no update and an error with %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || len(got) != 1 || got[0].Tag != "1.1.0" {
				t.Errorf("Updates = %+v, %v; want one to 1.1.0", got, err)
			}
		})
	}
}

// pushTLS pushes tags 1.0.0 and 1.1.0 to the TLS registry.
func pushTLS(t *testing.T, reg *registry.Registry) {
	t.Helper()
	p := newPusher(t, reg, "app")
	p.repo.PlainHTTP = false
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(reg.CAData) {
		t.Fatal("no certificate in the registry's CA data")
	}
	p.repo.Client.(*auth.Client).Client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	p.tagged(at(1), "1.0.0", "1.1.0")
}
