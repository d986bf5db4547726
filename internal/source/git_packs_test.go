package source

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// openUnder lists the files under dir that this process holds open.
func openUnder(t *testing.T, dir string) []string {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
			out = append(out, target)
		}
	}
	return out
}

// TestGitKeepsAFewPacksOpen fetches a commit after another, each fetch
// adding a pack to the local repository: the packs read stay open, at
// most openPacks of them, and a reset closes those it held.
func TestGitKeepsAFewPacksOpen(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	served := srv.NewRepo(t, "app")
	repo := Repository{URL: srv.RepoURL("app"), Username: srv.Username, Password: srv.Password}
	g, clk := testGit(t, GitOptions{})
	ctx := context.Background()
	files := map[string]string{"base.yaml": "base: 0\n"}
	sha := served.Commit(t, "main", files, "first")
	checkoutMatches(t, g, repo, sha, files)
	lr, err := g.local(repo)
	if err != nil {
		t.Fatal(err)
	}
	if open := openUnder(t, lr.dir); len(open) == 0 {
		t.Errorf("no pack of the local repository is open after a checkout: each read opens it again")
	}
	for i := range 2 * openPacks {
		name := fmt.Sprintf("f%02d.yaml", i)
		files[name] = fmt.Sprintf("n: %d\n", i)
		sha = served.Commit(t, "main", map[string]string{name: files[name]}, name)
		clk.SetTime(clk.Now().Add(2 * time.Minute)) // past the poll interval: ask for refs again
		if got, err := g.Resolve(ctx, repo, "main"); err != nil || got != sha {
			t.Fatalf("Resolve(main) = %s, %v; want %s", got, err, sha)
		}
		checkoutMatches(t, g, repo, sha, files)
		if open := openUnder(t, lr.dir); len(open) > openPacks {
			t.Fatalf("after %d fetches, %d files of the local repository are open, want at most %d:\n%s", i+2, len(open), openPacks, strings.Join(open, "\n"))
		}
	}
	packs, err := filepath.Glob(filepath.Join(lr.dir, "objects", "pack", "*.pack"))
	if err != nil || len(packs) <= openPacks {
		t.Fatalf("%d packs stored (%v): the test needs more than %d", len(packs), err, openPacks)
	}

	lr.mu.Lock()
	defer lr.mu.Unlock()
	if err := lr.reset(); err != nil {
		t.Fatal(err)
	}
	if open := openUnder(t, lr.dir); len(open) > 0 {
		t.Errorf("files still open after a reset:\n%s", strings.Join(open, "\n"))
	}
}

// TestGitPathHashReadsNothingTwice asks for a path in a commit already
// read: its root and directories are kept, so nothing is read from the
// repository's storage, which would open a pack.
func TestGitPathHashReadsNothingTwice(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	served := srv.NewRepo(t, "app")
	repo := Repository{URL: srv.RepoURL("app"), Username: srv.Username, Password: srv.Password}
	g, _ := testGit(t, GitOptions{})
	sha := served.Commit(t, "main", map[string]string{"apps/web/a.yaml": "a: 1\n"}, "first")
	want, err := g.TreeHash(context.Background(), repo, sha, "apps/web")
	if err != nil {
		t.Fatal(err)
	}
	lr, err := g.local(repo)
	if err != nil {
		t.Fatal(err)
	}
	lr.mu.Lock()
	defer lr.mu.Unlock()
	var got string
	allocs := testing.AllocsPerRun(20, func() {
		h, err := lr.pathHash(sha, "apps/web")
		if err != nil {
			t.Fatal(err)
		}
		got = h.String()
	})
	if got != want {
		t.Errorf("pathHash = %s, want %s", got, want)
	}
	// The path cleaned and split, by pathHash and by go-git's FindEntry,
	// and the hash's string: 9. Reading the commit from its pack made 75.
	if allocs > 12 {
		t.Errorf("pathHash of a commit read before made %.0f allocations, want at most 12: it read from storage", allocs)
	}
}
