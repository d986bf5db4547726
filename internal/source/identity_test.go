package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIdentityOf(t *testing.T) {
	ids, err := loadIdentities(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	base := Repository{URL: "https://git.example/org/app.git", Username: "u", Password: "p4ssword-secret"}
	tests := []struct {
		name string
		edit func(*Repository)
		same bool
	}{
		{"URL, name and project are not identity", func(r *Repository) { r.URL, r.Name, r.Project = "https://other", "n", "team-a" }, true},
		{"anonymous", func(r *Repository) { r.Username, r.Password = "", "" }, false},
		{"password", func(r *Repository) { r.Password = "other" }, false},
		{"user", func(r *Repository) { r.Username = "v" }, false},
		{"bearer token", func(r *Repository) { r.BearerToken = "t" }, false},
		{"ssh key", func(r *Repository) { r.SSHPrivateKey = "k" }, false},
		{"client certificate", func(r *Repository) { r.TLSClientCertData = "c" }, false},
		{"client key", func(r *Repository) { r.TLSClientCertKey = "k" }, false},
		{"TLS not verified", func(r *Repository) { r.Insecure = true }, false},
		{"host key not verified", func(r *Repository) { r.InsecureIgnoreHostKey = true }, false},
		{"CA", func(r *Repository) { r.CAData = "ca" }, false},
		{"known hosts", func(r *Repository) { r.KnownHosts = "h" }, false},
		{"proxy", func(r *Repository) { r.Proxy = "http://proxy" }, false},
		{"hosts without proxy", func(r *Repository) { r.NoProxy = "git.example" }, false},
		{"GitHub App", func(r *Repository) { r.GitHubAppID = "1" }, false},
		{"GitHub App installation", func(r *Repository) { r.GitHubAppInstallationID = "2" }, false},
		{"GitHub App key", func(r *Repository) { r.GitHubAppPrivateKey = "k" }, false},
		{"GitHub Enterprise", func(r *Repository) { r.GitHubAppEnterpriseBaseURL = "https://ghe.example/api/v3" }, false},
		{"fields do not run together", func(r *Repository) { r.Username, r.Password = "up", "4ssword-secret" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			tt.edit(&r)
			if got := ids.of(r) == ids.of(base); got != tt.same {
				t.Errorf("same identity = %v, want %v", got, tt.same)
			}
		})
	}
	if id := ids.of(base); strings.Contains(id, base.Password) || len(id) != 16 {
		t.Errorf("identity %q: want 16 hex digits and no credential", id)
	}
}

// The key persists in the cache directory, so that a restarted process finds
// its cached trees under the same names; another cache has another key.
func TestIdentityKeyPersists(t *testing.T) {
	dir := t.TempDir()
	repo := Repository{URL: "https://git.example/app", Password: "p"}
	first, err := loadIdentities(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := loadIdentities(dir)
	if err != nil {
		t.Fatal(err)
	}
	if first.of(repo) != again.of(repo) {
		t.Errorf("identity changed on reload")
	}
	other, err := loadIdentities(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if other.of(repo) == first.of(repo) {
		t.Errorf("two caches share a key")
	}
	info, err := os.Stat(filepath.Join(dir, identityKeyFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, %v; want mode 0600", info, err)
	}
}
