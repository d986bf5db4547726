package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/capstan-cd/capstan/internal/settings"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
	"github.com/capstan-cd/capstan/internal/testenv/registry"
	"github.com/capstan-cd/capstan/internal/testenv/testca"
)

// trustHolder plays the settings.Watcher: the snapshot in force, which a
// test replaces the way an edit of the ConfigMaps does.
type trustHolder struct {
	atomic.Pointer[settings.Settings]
}

func (h *trustHolder) Current() *settings.Settings { return h.Load() }

// set parses data into the snapshot in force.
func (h *trustHolder) set(t *testing.T, data settings.Data) {
	t.Helper()
	s, err := settings.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	h.Store(s)
}

func newTrust(t *testing.T, data settings.Data) *trustHolder {
	t.Helper()
	h := &trustHolder{}
	h.set(t, data)
	return h
}

func knownHosts(content string) settings.Data {
	return settings.Data{settings.KnownHosts: {settings.KeySSHKnownHosts: content}}
}

func tlsCerts(host, pem string) settings.Data {
	return settings.Data{settings.TLSCerts: {host: pem}}
}

// An SSH host is trusted only through argocd-ssh-known-hosts-cm, as it
// reads when the request is made, or through the repository's insecure.
func TestTrustSSHKnownHosts(t *testing.T) {
	srv := gitserver.NewSSH(t)
	f := newFixture(t, srv.NewRepo(t, "app"))
	trust := newTrust(t, nil) // no argocd-ssh-known-hosts-cm
	g, clk := testGit(t, GitOptions{Trust: trust})
	repo := Repository{URL: srv.RepoURL("app"), SSHPrivateKey: srv.ClientKey}
	ctx := context.Background()

	_, err := g.Resolve(ctx, repo, "main")
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("resolve with no known hosts: %v, want the host refused", err)
	}
	mustContain(t, err.Error(), settings.KnownHosts, "insecure", "SHA256:")

	trust.set(t, knownHosts("# the server\n"+srv.KnownHosts()))
	sha, err := g.Resolve(ctx, repo, "main")
	if err != nil || sha != f.main {
		t.Fatalf("resolve with the host's key in the ConfigMap: %s, %v; want %s", sha, err, f.main)
	}
	checkoutMatches(t, g, repo, f.main, f.files)

	// Another host added to the ConfigMap leaves this host's cache alone.
	trust.set(t, knownHosts("git.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"+srv.KnownHosts()))
	before := srv.Counts("app")
	checkoutMatches(t, g, repo, f.main, f.files)
	if after := srv.Counts("app"); after != before {
		t.Errorf("a checkout after another host was added asked the server: %+v, before %+v", after, before)
	}

	// The ConfigMap now lists another host's key: the next request is
	// refused, cached answers notwithstanding.
	trust.set(t, knownHosts(gitserver.NewSSH(t).KnownHosts()))
	clk.SetTime(clk.Now().Add(failureTTL))
	if _, err := g.Resolve(ctx, repo, "main"); !errors.Is(err, ErrAuth) {
		t.Errorf("resolve after the host's key left the ConfigMap: %v, want the host refused", err)
	}
	if _, err := g.Checkout(ctx, repo, f.dev); !errors.Is(err, ErrAuth) {
		t.Errorf("checkout after the host's key left the ConfigMap: %v, want the host refused", err)
	}

	insecure := repo
	insecure.Insecure = true
	if sha, err := g.Resolve(ctx, insecure, "main"); err != nil || sha != f.main {
		t.Errorf("resolve with insecure: %s, %v; want %s", sha, err, f.main)
	}

	// Without a private key, the process's own known hosts and agent are
	// not consulted either: the host is checked against the ConfigMap.
	t.Run("no private key", func(t *testing.T) {
		home := t.TempDir()
		if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(home, ".ssh", "known_hosts"), []byte(srv.KnownHosts()), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("HOME", home)
		t.Setenv("SSH_KNOWN_HOSTS", filepath.Join(home, ".ssh", "known_hosts"))
		keyless := Repository{URL: srv.RepoURL("app")}
		trust.set(t, nil)
		_, err := g.Resolve(ctx, keyless, "main")
		if !errors.Is(err, ErrAuth) {
			t.Fatalf("resolve without a key from an unknown host: %v, want the host refused", err)
		}
		mustContain(t, err.Error(), settings.KnownHosts)
		trust.set(t, knownHosts(srv.KnownHosts()))
		_, err = g.Resolve(ctx, keyless, "main")
		if !errors.Is(err, ErrAuth) || strings.Contains(err.Error(), settings.KnownHosts) {
			t.Fatalf("resolve without a key from a known host: %v, want the key asked for", err)
		}
	})
}

// Certificates of argocd-tls-certs-cm, by host name, verify HTTPS Git
// and Helm repositories; insecure skips verification.
func TestTrustTLSCertificates(t *testing.T) {
	ca := testca.New(t, "capstan test CA")
	srv := gitserver.NewHTTP(t, gitserver.WithCA(ca, nil))
	f := newFixture(t, srv.NewRepo(t, "app"))
	charts := helmRepoFixture(t, false, registry.HelmRepoOptions{Username: helmUser, Password: helmPassword, TLSConfig: ca.ServerTLS(t, nil)})
	trust := newTrust(t, nil)
	g, clk := testGit(t, GitOptions{Trust: trust})
	c := testChartsWith(t, ChartsOptions{Trust: trust})
	repo := Repository{URL: srv.RepoURL("app"), Username: srv.Username, Password: srv.Password}
	chartRepo := Repository{URL: charts.URL, Type: "helm", Username: helmUser, Password: helmPassword}
	ctx := context.Background()

	refused := func(when string) {
		t.Helper()
		clk.SetTime(clk.Now().Add(failureTTL))
		if _, err := g.Resolve(ctx, repo, "main"); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("git %s: %v, want a certificate error", when, err)
		}
		if _, err := c.Resolve(ctx, chartRepo, "guestbook", "1.0.0"); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("helm %s: %v, want a certificate error", when, err)
		}
	}
	trusted := func(when string, git, chart Repository) {
		t.Helper()
		if sha, err := g.Resolve(ctx, git, "main"); err != nil || sha != f.main {
			t.Errorf("git %s: %s, %v; want %s", when, sha, err, f.main)
		}
		if v, err := c.Resolve(ctx, chart, "guestbook", "1.0.0"); err != nil || v != "1.0.0" {
			t.Errorf("helm %s: %s, %v; want 1.0.0", when, v, err)
		}
	}

	refused("with no argocd-tls-certs-cm")
	trust.set(t, tlsCerts("127.0.0.1", ca.PEM))
	trusted("with the CA in argocd-tls-certs-cm", repo, chartRepo)
	checkoutMatches(t, g, repo, f.main, f.files)
	if _, err := c.Pull(ctx, chartRepo, "guestbook", "1.0.0"); err != nil {
		t.Errorf("helm pull with the CA in argocd-tls-certs-cm: %v", err)
	}
	trust.set(t, tlsCerts("localhost", ca.PEM))
	refused("with the CA under another host name")
	trust.set(t, tlsCerts("127.0.0.1", testca.New(t, "another CA").PEM))
	refused("with another CA for the host")

	insecureGit, insecureChart := repo, chartRepo
	insecureGit.Insecure, insecureChart.Insecure = true, true
	trusted("with insecure", insecureGit, insecureChart)
}

// A repository Secret's client certificate answers a server that requires
// one (mutual TLS), for Git and for Helm repositories.
func TestTrustMutualTLS(t *testing.T) {
	ca, clients := testca.New(t, "server CA"), testca.New(t, "client CA")
	srv := gitserver.NewHTTP(t, gitserver.WithCA(ca, clients))
	f := newFixture(t, srv.NewRepo(t, "app"))
	charts := helmRepoFixture(t, false, registry.HelmRepoOptions{TLSConfig: ca.ServerTLS(t, clients)})
	trust := newTrust(t, settings.Data{settings.TLSCerts: {"127.0.0.1": ca.PEM}})
	cert, key := clients.ClientCert(t, "capstan")
	strangerCert, strangerKey := testca.New(t, "unknown CA").ClientCert(t, "stranger")
	secrets := NewCredentials([]corev1.Secret{
		secret("git", SecretTypeRepository, map[string]string{"url": srv.RepoURL("app"), "username": srv.Username, "password": srv.Password, "tlsClientCertData": cert, "tlsClientCertKey": key}),
		secret("helm", SecretTypeRepository, map[string]string{"url": charts.URL, "type": "helm", "tlsClientCertData": cert, "tlsClientCertKey": key}),
	})
	gitRepo, _ := secrets.Lookup(srv.RepoURL("app"), "default")
	chartRepo, _ := secrets.Lookup(charts.URL, "default")
	ctx := context.Background()

	tests := []struct {
		name      string
		cert, key string
		ok        bool
	}{
		{"no client certificate", "", "", false},
		{"a certificate the server does not trust", strangerCert, strangerKey, false},
		{"the Secret's certificate", gitRepo.TLSClientCertData, gitRepo.TLSClientCertKey, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := testGit(t, GitOptions{Trust: trust})
			c := testChartsWith(t, ChartsOptions{Trust: trust})
			git, chart := gitRepo, chartRepo
			git.TLSClientCertData, git.TLSClientCertKey = tt.cert, tt.key
			chart.TLSClientCertData, chart.TLSClientCertKey = tt.cert, tt.key
			sha, gitErr := g.Resolve(ctx, git, "main")
			_, chartErr := c.Resolve(ctx, chart, "guestbook", "1.0.0")
			if !tt.ok {
				if gitErr == nil || chartErr == nil {
					t.Fatalf("git: %v, helm: %v; want both refused", gitErr, chartErr)
				}
				return
			}
			if gitErr != nil || sha != f.main {
				t.Fatalf("git: %s, %v; want %s", sha, gitErr, f.main)
			}
			checkoutMatches(t, g, git, f.main, f.files)
			if chartErr != nil {
				t.Fatalf("helm: %v", chartErr)
			}
			if _, err := c.Pull(ctx, chart, "guestbook", "1.0.0"); err != nil {
				t.Fatalf("helm pull: %v", err)
			}
		})
	}
}

// argocd-tls-certs-cm also verifies an OCI registry.
func TestTrustTLSCertificatesOCI(t *testing.T) {
	reg := registry.Start(t, registry.Options{TLS: true})
	pushCharts(t, reg)
	trust := newTrust(t, nil)
	c := testChartsWith(t, ChartsOptions{Trust: trust})
	repo := Repository{URL: reg.URL("charts"), Type: "helm", EnableOCI: true, Username: reg.Username, Password: reg.Password}
	ctx := context.Background()
	if _, err := c.Resolve(ctx, repo, "guestbook", "1.0.0"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("resolve with no argocd-tls-certs-cm: %v, want a certificate error", err)
	}
	trust.set(t, tlsCerts("127.0.0.1", string(reg.CAData)))
	if v, err := c.Resolve(ctx, repo, "guestbook", "1.0.0"); err != nil || v != "1.0.0" {
		t.Fatalf("resolve with the certificate in argocd-tls-certs-cm: %s, %v; want 1.0.0", v, err)
	}
	if _, err := c.Pull(ctx, repo, "guestbook", "1.0.0"); err != nil {
		t.Fatalf("pull with the certificate in argocd-tls-certs-cm: %v", err)
	}
}
