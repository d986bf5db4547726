package registry

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

func TestRegistryRequiresItsCredentials(t *testing.T) {
	for _, tls := range []bool{false, true} {
		name := "http"
		if tls {
			name = "https"
		}
		t.Run(name, func(t *testing.T) {
			reg := Start(t, Options{TLS: tls})
			client, err := httpClient(reg.CAData)
			if err != nil {
				t.Fatal(err)
			}
			endpoint := name + "://" + reg.Host + "/v2/"
			tests := []struct {
				name     string
				password string
				want     int
			}{
				{"right password", reg.Password, http.StatusOK},
				{"wrong password", "not-" + reg.Password, http.StatusUnauthorized},
			}
			for _, tt := range tests {
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, endpoint, nil)
				req.SetBasicAuth(reg.Username, tt.password)
				resp, err := client.Do(req)
				if err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
				resp.Body.Close()
				if resp.StatusCode != tt.want {
					t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
				}
			}
		})
	}
}

func TestHelmRepoCountsAuthorizedRequests(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.yaml"), []byte("apiVersion: v1\nentries: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	repo := ServeHelmRepo(t, dir, HelmRepoOptions{Username: "u", Password: "p"})
	for _, password := range []string{"p", "wrong", "p"} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, repo.URL+"/index.yaml", nil)
		req.SetBasicAuth("u", password)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if got := repo.Requests("/index.yaml"); got != 2 {
		t.Errorf("Requests(/index.yaml) = %d, want 2", got)
	}
	if got := repo.Unauthorized(); got != 1 {
		t.Errorf("Unauthorized() = %d, want 1", got)
	}
}
