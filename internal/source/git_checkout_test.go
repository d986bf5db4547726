package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// checkoutMatches checks out sha and compares the tree with want.
func checkoutMatches(t *testing.T, g *Git, repo Repository, sha string, want map[string]string) string {
	t.Helper()
	dir, err := g.Checkout(context.Background(), repo, sha)
	if err != nil {
		t.Fatalf("Checkout(%s): %v", sha, err)
	}
	if diff := cmp.Diff(want, readTree(t, dir)); diff != "" {
		t.Errorf("checkout of %s (-want +got):\n%s", sha, diff)
	}
	return dir
}

func TestGitCheckoutTransports(t *testing.T) {
	httpSrv := gitserver.NewHTTP(t)
	sshSrv := gitserver.NewSSH(t)
	tlsSrv := gitserver.NewHTTP(t, gitserver.WithTLS())
	fixtures := map[string]fixture{
		"http":  newFixture(t, httpSrv.NewRepo(t, "app")),
		"ssh":   newFixture(t, sshSrv.NewRepo(t, "app")),
		"https": newFixture(t, tlsSrv.NewRepo(t, "app")),
		"file":  newFixture(t, gitserver.NewRepo(t, t.TempDir(), "app")),
	}
	tests := []struct {
		name    string
		fixture string
		repo    Repository
	}{
		{"http basic auth", "http", Repository{URL: httpSrv.RepoURL("app"), Username: httpSrv.Username, Password: httpSrv.Password}},
		{"ssh key", "ssh", Repository{URL: sshSrv.RepoURL("app"), SSHPrivateKey: sshSrv.ClientKey, KnownHosts: sshSrv.KnownHosts()}},
		{"https with CA data", "https", Repository{URL: tlsSrv.RepoURL("app"), Username: tlsSrv.Username, Password: tlsSrv.Password, CAData: tlsSrv.CAPEM()}},
		{"https insecure", "https", Repository{URL: tlsSrv.RepoURL("app"), Username: tlsSrv.Username, Password: tlsSrv.Password, Insecure: true}},
		{"file", "file", Repository{URL: fixtures["file"].repo.URL()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fixtures[tt.fixture]
			g, _ := testGit(t, GitOptions{AllowFileRepositories: tt.fixture == "file"})
			sha, err := g.Resolve(context.Background(), tt.repo, "main")
			if err != nil {
				t.Fatal(err)
			}
			dir := checkoutMatches(t, g, tt.repo, sha, f.files)
			checkoutMatches(t, g, tt.repo, f.first, map[string]string{"README.md": "first\n"})
			checkoutMatches(t, g, tt.repo, f.dev, map[string]string{"dev.txt": "dev\n"})
			if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("changed"), 0o644); err == nil && os.Geteuid() != 0 {
				t.Errorf("checkout is writable")
			}
			if info, err := os.Stat(filepath.Join(dir, "README.md")); err != nil || info.Mode().Perm()&0o222 != 0 {
				t.Errorf("checked-out file mode = %v, %v; want read-only", info.Mode(), err)
			}
		})
	}
	t.Run("https without the CA", func(t *testing.T) {
		g, _ := testGit(t, GitOptions{})
		repo := Repository{URL: tlsSrv.RepoURL("app"), Username: tlsSrv.Username, Password: tlsSrv.Password}
		_, err := g.Resolve(context.Background(), repo, "main")
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("Resolve over HTTPS with an unknown CA: %v, want a certificate error", err)
		}
		mustContain(t, err.Error(), tlsSrv.RepoURL("app"))
	})
}

func TestGitCheckoutSharesOneFetch(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	f := newFixture(t, srv.NewRepo(t, "app"))
	g, _ := testGit(t, GitOptions{})
	repo := Repository{URL: srv.RepoURL("app"), Username: srv.Username, Password: srv.Password}
	sha, err := g.Resolve(context.Background(), repo, "main")
	if err != nil {
		t.Fatal(err)
	}
	dirs := make([]string, 50)
	errs := make([]error, len(dirs))
	var wg sync.WaitGroup
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dirs[i], errs[i] = g.Checkout(context.Background(), repo, sha)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if d != dirs[0] {
			t.Fatalf("concurrent checkouts returned %s and %s", dirs[0], d)
		}
	}
	if diff := cmp.Diff(f.files, readTree(t, dirs[0])); diff != "" {
		t.Errorf("checkout (-want +got):\n%s", diff)
	}
	if got := srv.Counts("app").Fetch; got != 1 {
		t.Errorf("50 concurrent checkouts of one commit sent %d fetches, want 1", got)
	}
	if got := g.Stats()[NormalizeURL(repo.URL)].Fetch; got != 1 {
		t.Errorf("Stats().Fetch = %d, want 1", got)
	}
	// The fetch was shallow: the parent commit was not transferred.
	lr, err := g.local(repo)
	if err != nil {
		t.Fatal(err)
	}
	if lr.hasCommit(f.first) {
		t.Errorf("checkout of %s fetched its parent %s: not a shallow fetch", sha, f.first)
	}
}

func TestGitCheckoutUnchangedCommitNoFetch(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	r := srv.NewRepo(t, "app")
	f := newFixture(t, r)
	cache := t.TempDir()
	g, clk := testGit(t, GitOptions{CacheDir: cache, PollInterval: time.Minute})
	repo := Repository{URL: srv.RepoURL("app"), Username: srv.Username, Password: srv.Password}
	ctx := context.Background()

	sha, err := g.Resolve(ctx, repo, "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Checkout(ctx, repo, sha); err != nil {
		t.Fatal(err)
	}
	fetches := srv.Counts("app").Fetch

	// Another branch moves; main does not.
	r.Commit(t, "dev", map[string]string{"dev.txt": "dev 2\n"}, "dev 2")
	clk.SetTime(clk.Now().Add(2 * time.Minute))
	again, err := g.Resolve(ctx, repo, "main")
	if err != nil || again != sha {
		t.Fatalf("re-resolve main = %s, %v; want %s", again, err, sha)
	}
	checkoutMatches(t, g, repo, again, f.files)
	if got := srv.Counts("app").Fetch; got != fetches {
		t.Errorf("checkout of an unchanged commit fetched: %d fetches, want %d", got, fetches)
	}

	// A restarted process finds the checkout on disk.
	restarted, _ := testGit(t, GitOptions{CacheDir: cache})
	checkoutMatches(t, restarted, repo, sha, f.files)
	if got := srv.Counts("app").Fetch; got != fetches {
		t.Errorf("checkout after a restart fetched: %d fetches, want %d", got, fetches)
	}

	// main moves: the new commit is fetched once.
	next := r.Commit(t, "main", map[string]string{"README.md": "hello again\n"}, "third")
	clk.SetTime(clk.Now().Add(2 * time.Minute))
	moved, err := g.Resolve(ctx, repo, "main")
	if err != nil || moved != next {
		t.Fatalf("resolve after a push = %s, %v; want %s", moved, err, next)
	}
	want := map[string]string{}
	for k, v := range f.files {
		want[k] = v
	}
	want["README.md"] = "hello again\n"
	checkoutMatches(t, g, repo, moved, want)
	if got := srv.Counts("app").Fetch; got != fetches+1 {
		t.Errorf("checkout of a new commit: %d fetches, want %d", got, fetches+1)
	}
}

func TestGitCheckoutErrors(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	newFixture(t, srv.NewRepo(t, "app"))
	g, _ := testGit(t, GitOptions{})
	repo := Repository{URL: srv.RepoURL("app"), Username: srv.Username, Password: srv.Password}
	missing := strings.Repeat("ab", 20)
	_, err := g.Checkout(context.Background(), repo, missing)
	if !errors.Is(err, ErrRevisionNotFound) {
		t.Fatalf("Checkout of a missing commit: %v, want ErrRevisionNotFound", err)
	}
	mustContain(t, err.Error(), repo.URL, missing)

	repo.Password = "wr0ng-Passw0rd"
	_, err = g.Checkout(context.Background(), repo, missing[:39]+"c")
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("Checkout with a wrong password: %v, want ErrAuth", err)
	}
	if strings.Contains(err.Error(), repo.Password) {
		t.Errorf("error %q contains the password", err)
	}
}

func TestGitCheckoutEviction(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	r := srv.NewRepo(t, "app")
	big := strings.Repeat("x", 1000)
	var shas []string
	for i := range 4 {
		shas = append(shas, r.Commit(t, "main", map[string]string{"data.txt": big + string(rune('a'+i))}, "commit"))
	}
	// Room for two checkouts of 1001 bytes, not three.
	g, clk := testGit(t, GitOptions{MaxCacheBytes: 2500})
	repo := Repository{URL: srv.RepoURL("app"), Username: srv.Username, Password: srv.Password}
	dirs := make([]string, len(shas))
	for i, sha := range shas {
		clk.SetTime(clk.Now().Add(time.Second))
		dir, err := g.Checkout(context.Background(), repo, sha)
		if err != nil {
			t.Fatal(err)
		}
		dirs[i] = dir
		if got := g.trees.size(); got > 2500 {
			t.Errorf("after checkout %d the cache holds %d bytes, bound 2500", i, got)
		}
	}
	exists := func(d string) bool { _, err := os.Stat(d); return err == nil }
	got := []bool{exists(dirs[0]), exists(dirs[1]), exists(dirs[2]), exists(dirs[3])}
	if diff := cmp.Diff([]bool{false, false, true, true}, got); diff != "" {
		t.Errorf("checkouts kept (-want +got):\n%s", diff)
	}

	// Using a tree makes it recent: the other one goes.
	clk.SetTime(clk.Now().Add(time.Second))
	if _, err := g.Checkout(context.Background(), repo, shas[2]); err != nil {
		t.Fatal(err)
	}
	clk.SetTime(clk.Now().Add(time.Second))
	if _, err := g.Checkout(context.Background(), repo, shas[0]); err != nil {
		t.Fatal(err)
	}
	got = []bool{exists(dirs[0]), exists(dirs[1]), exists(dirs[2]), exists(dirs[3])}
	if diff := cmp.Diff([]bool{true, false, true, false}, got); diff != "" {
		t.Errorf("checkouts kept after reuse (-want +got):\n%s", diff)
	}

	// A tree larger than the bound is still handed out.
	tiny, _ := testGit(t, GitOptions{MaxCacheBytes: 10})
	checkoutMatches(t, tiny, repo, shas[1], map[string]string{"data.txt": big + "b"})
}

func TestGitTreeHash(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	r := srv.NewRepo(t, "app")
	f := newFixture(t, r)
	g, _ := testGit(t, GitOptions{})
	repo := Repository{URL: srv.RepoURL("app"), Username: srv.Username, Password: srv.Password}
	ctx := context.Background()
	for _, p := range []string{"", ".", "apps", "apps/guestbook", "/apps/guestbook/", "apps/guestbook/cm.yaml"} {
		got, err := g.TreeHash(ctx, repo, f.main, p)
		if err != nil {
			t.Fatalf("TreeHash(%q): %v", p, err)
		}
		spec := strings.Trim(p, "/")
		if spec == "." {
			spec = ""
		}
		if want := r.RevParse(t, f.main+":"+spec); got != want {
			t.Errorf("TreeHash(%q) = %s, want %s", p, got, want)
		}
	}
	// A commit that does not touch the path keeps its hash.
	next := r.Commit(t, "main", map[string]string{"apps/other/cm.yaml": "changed\n"}, "other")
	before, _ := g.TreeHash(ctx, repo, f.main, "apps/guestbook")
	after, err := g.TreeHash(ctx, repo, next, "apps/guestbook")
	if err != nil || after != before {
		t.Errorf("TreeHash of an untouched path: %s, %v; want %s", after, err, before)
	}
	for _, p := range []string{"nope", "apps/nope", "apps/guestbook/cm.yaml/deeper", "README.md/x"} {
		if _, err := g.TreeHash(ctx, repo, f.main, p); !errors.Is(err, ErrPathNotFound) {
			t.Errorf("TreeHash of the missing path %q: %v, want ErrPathNotFound", p, err)
		}
	}
}
