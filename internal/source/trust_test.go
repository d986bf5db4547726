package source

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/internal/settings"
)

func TestTrustKnownHostsFor(t *testing.T) {
	content := `# GitHub
github.com ssh-ed25519 AAAAgithub
gitlab.com,altssh.gitlab.com ssh-ed25519 AAAAgitlab
[127.0.0.1]:2222 ssh-ed25519 AAAAlocal
|1|salt=|hash= ssh-ed25519 AAAAhashed
*.corp.example ssh-ed25519 AAAAwild
@cert-authority git.example ssh-ed25519 AAAAca
@revoked github.com ssh-ed25519 AAAArevoked

  bitbucket.org ssh-rsa AAAAbitbucket
`
	always := "|1|salt=|hash= ssh-ed25519 AAAAhashed\n*.corp.example ssh-ed25519 AAAAwild\n"
	tests := []struct {
		host, want string
	}{
		{"github.com", "github.com ssh-ed25519 AAAAgithub\n" + always + "@revoked github.com ssh-ed25519 AAAArevoked\n"},
		{"GitLab.com", "gitlab.com,altssh.gitlab.com ssh-ed25519 AAAAgitlab\n" + always},
		{"altssh.gitlab.com", "gitlab.com,altssh.gitlab.com ssh-ed25519 AAAAgitlab\n" + always},
		{"127.0.0.1", "[127.0.0.1]:2222 ssh-ed25519 AAAAlocal\n" + always},
		{"git.example", always + "@cert-authority git.example ssh-ed25519 AAAAca\n"},
		{"bitbucket.org", always + "bitbucket.org ssh-rsa AAAAbitbucket\n"},
		{"other.example", always},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, knownHostsFor(content, tt.host)); diff != "" {
				t.Errorf("knownHostsFor(%q) (-want +got):\n%s", tt.host, diff)
			}
		})
	}
}

// Trust material goes only to the URLs it serves.
func TestTrustTrusted(t *testing.T) {
	s, err := settings.Parse(settings.Data{
		settings.KnownHosts: {settings.KeySSHKnownHosts: "git.example ssh-ed25519 AAAA\nother.example ssh-ed25519 BBBB\n"},
		settings.TLSCerts:   {"git.example": "PEM"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		repo Repository
		want Repository
	}{
		{"ssh URL gets its host's keys", Repository{URL: "ssh://git@git.example/r.git"}, Repository{URL: "ssh://git@git.example/r.git", KnownHosts: "git.example ssh-ed25519 AAAA\n"}},
		{"scp-like URL", Repository{URL: "git@git.example:r.git"}, Repository{URL: "git@git.example:r.git", KnownHosts: "git.example ssh-ed25519 AAAA\n"}},
		{"https URL gets its host's certificates", Repository{URL: "https://git.example/r.git"}, Repository{URL: "https://git.example/r.git", CAData: "PEM"}},
		{"OCI reference without scheme", Repository{URL: "git.example/charts", EnableOCI: true}, Repository{URL: "git.example/charts", EnableOCI: true, CAData: "PEM"}},
		{"other host", Repository{URL: "https://else.example/r.git"}, Repository{URL: "https://else.example/r.git"}},
		{"own material kept", Repository{URL: "https://git.example/r.git", CAData: "MINE"}, Repository{URL: "https://git.example/r.git", CAData: "MINE"}},
		{"file URL", Repository{URL: "file:///srv/r.git"}, Repository{URL: "file:///srv/r.git"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, trusted(tt.repo, s)); diff != "" {
				t.Errorf("trusted (-want +got):\n%s", diff)
			}
		})
	}
	if got := trusted(Repository{URL: "ssh://git@git.example/r.git"}, nil); got.KnownHosts != "" {
		t.Errorf("trusted without settings: %+v", got)
	}
}
