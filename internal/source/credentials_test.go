package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// secret builds a repository or repo-creds Secret as kubectl would store it.
func secret(name, kind string, data map[string]string) corev1.Secret {
	s := corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "argocd", Labels: map[string]string{SecretTypeLabel: kind}},
		Data:       map[string][]byte{},
	}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func TestCredentialsGitLookup(t *testing.T) {
	secrets := []corev1.Secret{
		secret("org-creds", SecretTypeRepoCreds, map[string]string{
			"url": "https://github.com/acme", "username": "org-bot", "password": "org-pass",
		}),
		secret("team-creds", SecretTypeRepoCreds, map[string]string{
			"url": "https://github.com/acme/team-", "username": "team-bot", "password": "team-pass",
		}),
		secret("infra-creds", SecretTypeRepoCreds, map[string]string{
			"url": "https://github.com/acme/infra", "username": "infra-bot", "password": "infra-pass",
		}),
		secret("ssh-creds", SecretTypeRepoCreds, map[string]string{
			"url": "git@gitlab.example:", "sshPrivateKey": "KEY", "insecure": "true",
		}),
		secret("guestbook", SecretTypeRepository, map[string]string{
			"url": "https://github.com/acme/guestbook.git", "username": "gb", "password": "gb-pass", "name": "guestbook",
		}),
		secret("bare-repo", SecretTypeRepository, map[string]string{
			"url": "https://github.com/acme/infra/deploy", "name": "deploy",
		}),
		secret("scoped", SecretTypeRepository, map[string]string{
			"url": "https://github.com/acme/scoped", "username": "scoped", "password": "p", "project": "team-a",
		}),
		secret("no-url", SecretTypeRepoCreds, map[string]string{"username": "x"}),
		secret("cluster", "cluster", map[string]string{"url": "https://github.com/acme/guestbook", "username": "wrong"}),
	}
	creds := NewCredentials(secrets)
	tests := []struct {
		name, url, project string
		want               Repository
		ok                 bool
	}{
		{
			name: "repository exact match beats repo-creds",
			url:  "https://github.com/acme/guestbook",
			want: Repository{URL: "https://github.com/acme/guestbook", Type: "git", Name: "guestbook", Username: "gb", Password: "gb-pass"},
			ok:   true,
		},
		{
			name: "exact match after normalising case, .git and slash",
			url:  "HTTPS://GitHub.com/acme/guestbook.git/",
			want: Repository{URL: "HTTPS://GitHub.com/acme/guestbook.git/", Type: "git", Name: "guestbook", Username: "gb", Password: "gb-pass"},
			ok:   true,
		},
		{
			name: "repo-creds by prefix",
			url:  "https://github.com/acme/other.git",
			want: Repository{URL: "https://github.com/acme/other.git", Type: "git", Username: "org-bot", Password: "org-pass"},
			ok:   true,
		},
		{
			name: "longest prefix wins",
			url:  "https://github.com/acme/infra/modules",
			want: Repository{URL: "https://github.com/acme/infra/modules", Type: "git", Username: "infra-bot", Password: "infra-pass"},
			ok:   true,
		},
		{
			name: "prefix ending inside a name",
			url:  "https://github.com/acme/team-web",
			want: Repository{URL: "https://github.com/acme/team-web", Type: "git", Username: "team-bot", Password: "team-pass"},
			ok:   true,
		},
		{
			name: "a prefix matches whole path segments only",
			url:  "https://github.com/acme-evil/repo",
			want: Repository{URL: "https://github.com/acme-evil/repo"},
		},
		{
			name: "repository without credentials takes them from repo-creds",
			url:  "https://github.com/acme/infra/deploy",
			want: Repository{URL: "https://github.com/acme/infra/deploy", Type: "git", Name: "deploy", Username: "infra-bot", Password: "infra-pass"},
			ok:   true,
		},
		{
			name: "scp-like repo-creds match an ssh URL",
			url:  "ssh://git@gitlab.example/group/app.git",
			want: Repository{URL: "ssh://git@gitlab.example/group/app.git", Type: "git", SSHPrivateKey: "KEY", Insecure: true},
			ok:   true,
		},
		{
			name:    "project-scoped repository for its project",
			url:     "https://github.com/acme/scoped",
			project: "team-a",
			want:    Repository{URL: "https://github.com/acme/scoped", Type: "git", Project: "team-a", Username: "scoped", Password: "p"},
			ok:      true,
		},
		{
			name:    "project-scoped repository hidden from another project",
			url:     "https://github.com/acme/scoped",
			project: "team-b",
			want:    Repository{URL: "https://github.com/acme/scoped", Type: "git", Project: "team-b", Username: "org-bot", Password: "org-pass"},
			ok:      true,
		},
		{
			name: "nothing matches",
			url:  "https://bitbucket.example/x/y",
			want: Repository{URL: "https://bitbucket.example/x/y"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := creds.Lookup(tt.url, tt.project)
			if ok != tt.ok {
				t.Errorf("Lookup(%q) ok = %v, want %v", tt.url, ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Lookup(%q) (-want +got):\n%s", tt.url, diff)
			}
		})
	}
}

func TestCredentialsGitSecretKeys(t *testing.T) {
	s := secret("all", SecretTypeRepository, map[string]string{
		"url": "https://charts.example", "type": "helm", "name": "charts", "project": "p",
		"enableOCI": "true", "username": "u", "password": "pw", "bearerToken": "tok",
		"sshPrivateKey": "k", "insecure": "true", "insecureIgnoreHostKey": "true",
		"tlsClientCertData": "cert", "tlsClientCertKey": "key", "proxy": "http://proxy:3128",
		"noProxy":     "internal.example,10.0.0.0/8",
		"githubAppID": "1", "githubAppInstallationID": "2", "githubAppPrivateKey": "PEM",
		"githubAppEnterpriseBaseUrl": "https://ghe.example/api/v3",
	})
	want := Repository{
		URL: "https://charts.example", Type: "helm", Name: "charts", Project: "p", EnableOCI: true,
		Username: "u", Password: "pw", BearerToken: "tok", SSHPrivateKey: "k", Insecure: true,
		InsecureIgnoreHostKey: true, TLSClientCertData: "cert", TLSClientCertKey: "key", Proxy: "http://proxy:3128",
		NoProxy: "internal.example,10.0.0.0/8", GitHubAppID: "1", GitHubAppInstallationID: "2", GitHubAppPrivateKey: "PEM",
		GitHubAppEnterpriseBaseURL: "https://ghe.example/api/v3",
	}
	if diff := cmp.Diff(want, repositoryFromSecret(&s)); diff != "" {
		t.Errorf("repositoryFromSecret (-want +got):\n%s", diff)
	}
	// stringData, as written in a manifest, is read too.
	sd := corev1.Secret{StringData: map[string]string{"url": "https://x.example/r", "password": "sd"}}
	if got := repositoryFromSecret(&sd); got.URL != "https://x.example/r" || got.Password != "sd" || got.Type != "git" {
		t.Errorf("repositoryFromSecret(stringData) = %+v", got.Redacted())
	}
}

func TestCredentialsGitFromEnv(t *testing.T) {
	key := filepath.Join(t.TempDir(), "id")
	if err := os.WriteFile(key, []byte("PRIVATE"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{EnvRepoUsername: "me", EnvRepoPassword: "pw", EnvRepoSSHPrivateKeyPath: key}
	got, err := RepositoryFromEnv("https://git.example/r", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := Repository{URL: "https://git.example/r", Type: "git", Username: "me", Password: "pw", SSHPrivateKey: "PRIVATE"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RepositoryFromEnv (-want +got):\n%s", diff)
	}
	// An SSH URL gets the known hosts of the file named, or of the user.
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".ssh", "known_hosts"), []byte("user's hosts\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	named := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(named, []byte("named hosts\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env["HOME"] = home
	for _, tt := range []struct{ url, path, want string }{
		{"ssh://git@git.example/r.git", "", "user's hosts\n"},
		{"git@git.example:r.git", named, "named hosts\n"},
		{"https://git.example/r.git", named, ""},
	} {
		env[EnvRepoSSHKnownHostsPath] = tt.path
		got, err := RepositoryFromEnv(tt.url, func(k string) string { return env[k] })
		if err != nil || got.KnownHosts != tt.want {
			t.Errorf("RepositoryFromEnv(%s) with known hosts path %q: KnownHosts %q, %v; want %q", tt.url, tt.path, got.KnownHosts, err, tt.want)
		}
	}
	env[EnvRepoSSHKnownHostsPath] = filepath.Join(t.TempDir(), "missing")
	if _, err := RepositoryFromEnv("ssh://git@git.example/r.git", func(k string) string { return env[k] }); err == nil {
		t.Error("RepositoryFromEnv with a missing known hosts file named: no error")
	}
	env[EnvRepoSSHKnownHostsPath] = ""
	env[EnvRepoSSHPrivateKeyPath] = filepath.Join(t.TempDir(), "missing")
	if _, err := RepositoryFromEnv("https://u:secret@git.example/r", func(k string) string { return env[k] }); err == nil {
		t.Error("RepositoryFromEnv with a missing key file: no error")
	} else if s := err.Error(); strings.Contains(s, "secret") {
		t.Errorf("error %q contains the URL's password", s)
	}
}
