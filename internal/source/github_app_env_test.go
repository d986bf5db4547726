package source

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
	"github.com/capstan-cd/capstan/internal/testenv/testca"
)

// A repository Secret's GitHub App credentials are exchanged for an
// installation token, which reads the repository; the token is reused
// until shortly before it expires, then replaced. The token endpoint of a
// GitHub Enterprise Server is verified through argocd-tls-certs-cm.
func TestGitHubAppCredentials(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	f := newFixture(t, srv.NewRepo(t, "app"))
	ca := testca.New(t, "GitHub Enterprise CA")
	app := srv.NewGitHubApp(t, ca)
	trust := newTrust(t, tlsCerts("127.0.0.1", ca.PEM))
	g, clk := testGit(t, GitOptions{PollInterval: time.Minute, Trust: trust})
	clk.SetTime(time.Now())
	app.Now = clk.Now
	secretData := map[string]string{
		"url": srv.URL + "/", "githubAppID": app.AppID, "githubAppInstallationID": app.InstallationID,
		"githubAppPrivateKey": app.PrivateKey, "githubAppEnterpriseBaseUrl": app.URL,
	}
	repo, ok := NewCredentials([]corev1.Secret{secret("org", SecretTypeRepoCreds, secretData)}).Lookup(srv.RepoURL("app"), "default")
	if !ok {
		t.Fatal("the repo-creds Secret does not match the repository")
	}
	ctx := context.Background()
	resolve := func(when string) {
		t.Helper()
		if sha, err := g.Resolve(ctx, repo, "main"); err != nil || sha != f.main {
			t.Fatalf("resolve %s: %s, %v; want %s", when, sha, err, f.main)
		}
	}

	resolve("with the App's credentials")
	checkoutMatches(t, g, repo, f.main, f.files)
	if got := app.Issued(); got != 1 {
		t.Fatalf("tokens issued for the first resolve and checkout: %d, want 1", got)
	}

	clk.SetTime(clk.Now().Add(time.Minute)) // the ref list is stale, the token is not
	before := srv.Counts("app")
	resolve("a poll later")
	if got := app.Issued(); got != 1 {
		t.Errorf("tokens issued a poll later: %d, want the first one reused", got)
	}
	if after := srv.Counts("app"); after == before {
		t.Fatal("the second resolve did not ask the server")
	}

	// Four minutes before the token expires, a new one is asked for; the
	// server would refuse the old one once it expires.
	clk.SetTime(clk.Now().Add(app.TTL - time.Minute - 4*time.Minute))
	resolve("near the token's expiry")
	if got := app.Issued(); got != 2 {
		t.Errorf("tokens issued near the first one's expiry: %d, want 2", got)
	}
	clk.SetTime(clk.Now().Add(10 * time.Minute)) // past the first token's expiry
	checkoutMatches(t, g, repo, f.dev, map[string]string{"dev.txt": "dev\n"})

	t.Run("refused", func(t *testing.T) {
		other := gitserver.NewHTTP(t).NewGitHubApp(t, nil) // another App, another key
		tests := map[string]func(*Repository){
			"key of another App":   func(r *Repository) { r.GitHubAppPrivateKey = other.PrivateKey },
			"other App ID":         func(r *Repository) { r.GitHubAppID = "999" },
			"other installation":   func(r *Repository) { r.GitHubAppInstallationID = "1" },
			"installation no. NaN": func(r *Repository) { r.GitHubAppInstallationID = "seven" },
			"key not PEM":          func(r *Repository) { r.GitHubAppPrivateKey = "not a key" },
		}
		for name, edit := range tests {
			t.Run(name, func(t *testing.T) {
				bad := repo
				edit(&bad)
				issued := app.Issued()
				_, err := g.Resolve(ctx, bad, "main")
				if !errors.Is(err, ErrAuth) {
					t.Fatalf("resolve: %v, want an authentication error", err)
				}
				mustContain(t, err.Error(), "GitHub App")
				if strings.Contains(err.Error(), "PRIVATE KEY") {
					t.Errorf("error quotes the key: %v", err)
				}
				if app.Issued() != issued {
					t.Errorf("a token was issued")
				}
			})
		}
	})

	t.Run("endpoint certificate not trusted", func(t *testing.T) {
		trust.set(t, nil)
		defer trust.set(t, tlsCerts("127.0.0.1", ca.PEM))
		fresh, _ := testGit(t, GitOptions{Trust: trust})
		_, err := fresh.Resolve(ctx, repo, "main")
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("resolve: %v, want a certificate error from the token endpoint", err)
		}
		mustContain(t, err.Error(), "GitHub App")
	})
}
