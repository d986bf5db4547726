package source

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// resolveCases checks every form of revision against one repository.
func resolveCases(t *testing.T, g *Git, repo Repository, f fixture) {
	t.Helper()
	ctx := context.Background()
	tests := []struct {
		name, revision, want string
	}{
		{"branch", "main", f.main},
		{"other branch", "dev", f.dev},
		{"full branch ref", "refs/heads/dev", f.dev},
		{"annotated tag gives its commit", f.annotated, f.main},
		{"lightweight tag", f.light, f.first},
		{"full tag ref", "refs/tags/" + f.annotated, f.main},
		{"HEAD", "HEAD", f.main},
		{"empty is HEAD", "", f.main},
		{"full sha", f.first, f.first},
		{"upper-case full sha", strings.ToUpper(f.dev), f.dev},
		{"short sha of a branch tip", f.dev[:7], f.dev},
		{"short sha of an older commit", f.first[:8], f.first},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := g.Resolve(ctx, repo, tt.revision)
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tt.revision, err)
			}
			if got != tt.want {
				t.Errorf("Resolve(%q) = %s, want %s", tt.revision, got, tt.want)
			}
		})
	}
}

func TestGitResolveHTTP(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	f := newFixture(t, srv.NewRepo(t, "app"))
	g, _ := testGit(t, GitOptions{})
	repo := Repository{URL: srv.RepoURL("app"), Username: srv.Username, Password: srv.Password}
	resolveCases(t, g, repo, f)
}

func TestGitResolveHTTPBearerToken(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	f := newFixture(t, srv.NewRepo(t, "app"))
	g, _ := testGit(t, GitOptions{})
	repo := Repository{URL: srv.RepoURL("app"), BearerToken: srv.Token}
	resolveCases(t, g, repo, f)
	checkoutMatches(t, g, repo, f.main, f.files)
}

func TestGitResolveSSH(t *testing.T) {
	srv := gitserver.NewSSH(t)
	f := newFixture(t, srv.NewRepo(t, "app"))
	t.Run("known hosts", func(t *testing.T) {
		g, _ := testGit(t, GitOptions{})
		resolveCases(t, g, Repository{URL: srv.RepoURL("app"), SSHPrivateKey: srv.ClientKey, KnownHosts: srv.KnownHosts()}, f)
	})
	t.Run("insecure ignore host key", func(t *testing.T) {
		g, _ := testGit(t, GitOptions{})
		resolveCases(t, g, Repository{URL: srv.RepoURL("app"), SSHPrivateKey: srv.ClientKey, InsecureIgnoreHostKey: true}, f)
	})
	t.Run("unknown host key", func(t *testing.T) {
		g, _ := testGit(t, GitOptions{})
		other := gitserver.NewSSH(t)
		repo := Repository{URL: srv.RepoURL("app"), SSHPrivateKey: srv.ClientKey, KnownHosts: other.KnownHosts()}
		_, err := g.Resolve(context.Background(), repo, "main")
		if !errors.Is(err, ErrAuth) {
			t.Fatalf("Resolve with a wrong known host: got %v, want ErrAuth", err)
		}
	})
	t.Run("key not authorised", func(t *testing.T) {
		g, _ := testGit(t, GitOptions{})
		other := gitserver.NewSSH(t)
		repo := Repository{URL: srv.RepoURL("app"), SSHPrivateKey: other.ClientKey, InsecureIgnoreHostKey: true}
		_, err := g.Resolve(context.Background(), repo, "main")
		if !errors.Is(err, ErrAuth) {
			t.Fatalf("Resolve with an unauthorised key: got %v, want ErrAuth", err)
		}
		if strings.Contains(err.Error(), "PRIVATE KEY") {
			t.Errorf("error quotes the key: %v", err)
		}
	})
}

func TestGitResolveFile(t *testing.T) {
	root := t.TempDir()
	f := newFixture(t, gitserver.NewRepo(t, root, "app"))
	g, _ := testGit(t, GitOptions{AllowFileRepositories: true})
	t.Run("file URL", func(t *testing.T) { resolveCases(t, g, Repository{URL: f.repo.URL()}, f) })
	t.Run("plain path", func(t *testing.T) {
		g, _ := testGit(t, GitOptions{AllowFileRepositories: true})
		resolveCases(t, g, Repository{URL: f.repo.Dir}, f)
	})
}

func TestGitResolveErrors(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	newFixture(t, srv.NewRepo(t, "app"))
	ctx := context.Background()
	url := srv.RepoURL("app")

	t.Run("wrong password", func(t *testing.T) {
		g, _ := testGit(t, GitOptions{})
		const secret = "not-the-Pa55word"
		_, err := g.Resolve(ctx, Repository{URL: url, Username: srv.Username, Password: secret}, "main")
		if !errors.Is(err, ErrAuth) {
			t.Fatalf("got %v, want ErrAuth", err)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q contains the password", err)
		}
		mustContain(t, err.Error(), "authentication failed", url)
	})
	t.Run("a failure is remembered briefly", func(t *testing.T) {
		g, clk := testGit(t, GitOptions{})
		bad := Repository{URL: url, Username: srv.Username, Password: "wr0ng"}
		before := srv.Counts("app").LsRemote
		for range 3 {
			if _, err := g.Resolve(ctx, bad, "main"); !errors.Is(err, ErrAuth) {
				t.Fatalf("got %v, want ErrAuth", err)
			}
		}
		if got := srv.Counts("app").LsRemote - before; got != 1 {
			t.Errorf("3 failing resolves sent %d ls-remote, want 1", got)
		}
		clk.SetTime(clk.Now().Add(failureTTL))
		good := bad
		good.Password = srv.Password
		if _, err := g.Resolve(ctx, good, "main"); err != nil {
			t.Errorf("resolve after the failure expired: %v", err)
		}
	})
	t.Run("password in the URL", func(t *testing.T) {
		g, _ := testGit(t, GitOptions{})
		const secret = "url-Pa55word"
		withUserinfo := strings.Replace(url, "http://", "http://capstan:"+secret+"@", 1)
		_, err := g.Resolve(ctx, Repository{URL: withUserinfo}, "main")
		if !errors.Is(err, ErrAuth) {
			t.Fatalf("got %v, want ErrAuth", err)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q contains the password", err)
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		g, _ := testGit(t, GitOptions{})
		_, err := g.Resolve(ctx, Repository{URL: url}, "main")
		if !errors.Is(err, ErrAuth) {
			t.Fatalf("got %v, want ErrAuth", err)
		}
	})
	repo := Repository{URL: url, Username: srv.Username, Password: srv.Password}
	t.Run("missing revision", func(t *testing.T) {
		g, _ := testGit(t, GitOptions{})
		for _, rev := range []string{"nope", "refs/heads/nope", "deadbeef"} {
			_, err := g.Resolve(ctx, repo, rev)
			if !errors.Is(err, ErrRevisionNotFound) {
				t.Fatalf("Resolve(%q): got %v, want ErrRevisionNotFound", rev, err)
			}
			mustContain(t, err.Error(), url, "revision "+rev+" not found")
		}
	})
	t.Run("missing repository", func(t *testing.T) {
		g, _ := testGit(t, GitOptions{})
		_, err := g.Resolve(ctx, Repository{URL: srv.RepoURL("nothing"), Username: srv.Username, Password: srv.Password}, "main")
		if !errors.Is(err, ErrRepositoryNotFound) {
			t.Fatalf("got %v, want ErrRepositoryNotFound", err)
		}
	})
	t.Run("server stopped", func(t *testing.T) {
		down := gitserver.NewHTTP(t)
		newFixture(t, down.NewRepo(t, "app"))
		down.Close()
		g, _ := testGit(t, GitOptions{})
		_, err := g.Resolve(ctx, Repository{URL: down.RepoURL("app"), Username: down.Username, Password: down.Password}, "main")
		if !errors.Is(err, ErrUnreachable) {
			t.Fatalf("got %v, want ErrUnreachable", err)
		}
		mustContain(t, err.Error(), down.RepoURL("app"), "unreachable")
		if strings.Contains(err.Error(), down.Password) {
			t.Errorf("error %q contains the password", err)
		}
	})
}

func TestGitResolveSharesLsRemote(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	f := newFixture(t, srv.NewRepo(t, "app"))
	g, clk := testGit(t, GitOptions{PollInterval: time.Minute})
	repo := Repository{URL: srv.RepoURL("app"), Username: srv.Username, Password: srv.Password}
	// Spellings of one repository share its ref list.
	spellings := []string{repo.URL, repo.URL + "/", strings.ToUpper(repo.URL[:7]) + repo.URL[7:]}

	resolveAll := func() {
		t.Helper()
		var wg sync.WaitGroup
		errs := make([]error, 100)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := repo
				r.URL = spellings[i%len(spellings)]
				sha, err := g.Resolve(context.Background(), r, "main")
				if err == nil && sha != f.main {
					err = errors.New("resolved " + sha)
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
	}

	resolveAll()
	if got := srv.Counts("app").LsRemote; got != 1 {
		t.Fatalf("100 concurrent resolves sent %d ls-remote, want 1", got)
	}
	clk.SetTime(clk.Now().Add(59 * time.Second))
	resolveAll()
	if got := srv.Counts("app").LsRemote; got != 1 {
		t.Fatalf("resolves within the interval sent %d ls-remote, want 1", got)
	}
	clk.SetTime(clk.Now().Add(time.Second))
	resolveAll()
	if got := srv.Counts("app").LsRemote; got != 2 {
		t.Fatalf("resolves after the interval: %d ls-remote in all, want 2", got)
	}
	if got := g.Stats()[NormalizeURL(repo.URL)]; got != (GitStats{LsRemote: 2}) {
		t.Errorf("Stats() = %+v, want 2 ls-remote and no fetch", got)
	}
	// A push webhook makes the next resolve ask again.
	g.Invalidate(repo.URL)
	resolveAll()
	if got := srv.Counts("app").LsRemote; got != 3 {
		t.Fatalf("resolves after Invalidate: %d ls-remote in all, want 3", got)
	}
}
