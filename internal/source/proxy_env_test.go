package source

import (
	"context"
	"net/url"
	"testing"

	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
	"github.com/capstan-cd/capstan/internal/testenv/registry"
	"github.com/capstan-cd/capstan/internal/testenv/testca"
)

// A repository Secret's proxy carries its Git and Helm requests, over
// HTTP (forwarded) and HTTPS (tunnelled); a host in its noProxy is
// reached directly.
func TestProxyCarriesRequests(t *testing.T) {
	ca := testca.New(t, "capstan test CA")
	plain := gitserver.NewHTTP(t)
	secure := gitserver.NewHTTP(t, gitserver.WithCA(ca, nil))
	charts := helmRepoFixture(t, false, registry.HelmRepoOptions{Username: helmUser, Password: helmPassword})
	fixtures := map[string]fixture{
		"http":  newFixture(t, plain.NewRepo(t, "app")),
		"https": newFixture(t, secure.NewRepo(t, "app")),
	}
	proxy := gitserver.NewProxy(t)
	ctx := context.Background()

	tests := []struct {
		name, fixture string
		repo          Repository
		noProxy       string
		proxied       bool
	}{
		{"http through the proxy", "http", Repository{URL: plain.RepoURL("app"), Username: plain.Username, Password: plain.Password}, "", true},
		{"https tunnelled", "https", Repository{URL: secure.RepoURL("app"), Username: secure.Username, Password: secure.Password, CAData: ca.PEM}, "", true},
		{"host in noProxy", "http", Repository{URL: plain.RepoURL("app"), Username: plain.Username, Password: plain.Password}, "git.example,127.0.0.1", false},
		{"other host in noProxy", "http", Repository{URL: plain.RepoURL("app"), Username: plain.Username, Password: plain.Password}, "git.example", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fixtures[tt.fixture]
			repo := tt.repo
			repo.Proxy, repo.NoProxy = proxy.URL, tt.noProxy
			host := hostOfURL(t, repo.URL)
			before := proxy.Requests(host)
			g, _ := testGit(t, GitOptions{})
			sha, err := g.Resolve(ctx, repo, "main")
			if err != nil || sha != f.main {
				t.Fatalf("resolve: %s, %v; want %s", sha, err, f.main)
			}
			checkoutMatches(t, g, repo, f.main, f.files)
			if got := proxy.Requests(host) > before; got != tt.proxied {
				t.Errorf("requests went through the proxy: %v, want %v", got, tt.proxied)
			}
		})
	}

	t.Run("helm", func(t *testing.T) {
		host := hostOfURL(t, charts.URL)
		for _, tt := range []struct {
			noProxy string
			proxied bool
		}{{"", true}, {"127.0.0.1", false}} {
			c := testChartsWith(t, ChartsOptions{})
			repo := Repository{URL: charts.URL, Type: "helm", Username: helmUser, Password: helmPassword, Proxy: proxy.URL, NoProxy: tt.noProxy}
			before := proxy.Requests(host)
			if _, err := c.Pull(ctx, repo, "guestbook", "1.0.0"); err != nil {
				t.Fatalf("pull with noProxy %q: %v", tt.noProxy, err)
			}
			if got := proxy.Requests(host) > before; got != tt.proxied {
				t.Errorf("noProxy %q: requests went through the proxy: %v, want %v", tt.noProxy, got, tt.proxied)
			}
		}
	})

	t.Run("proxy down", func(t *testing.T) {
		g, _ := testGit(t, GitOptions{})
		repo := Repository{URL: plain.RepoURL("app"), Username: plain.Username, Password: plain.Password, Proxy: "http://127.0.0.1:1"}
		if _, err := g.Resolve(ctx, repo, "main"); err == nil {
			t.Error("resolve through a proxy that is not there succeeded: the proxy was not used")
		}
	})
}

func hostOfURL(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
