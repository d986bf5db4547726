package source

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-git/go-billy/v5"

	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// openUnder lists the files under dir that this process holds open.
func openUnder(t *testing.T, dir string) []string {
	t.Helper()
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
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

// packCounter is a local repository's file system that counts the packs
// opened through it.
type packCounter struct {
	billy.Filesystem
	opened *atomic.Int64
}

func (c packCounter) Open(name string) (billy.File, error) {
	c.count(name)
	return c.Filesystem.Open(name)
}

func (c packCounter) OpenFile(name string, flag int, perm os.FileMode) (billy.File, error) {
	c.count(name)
	return c.Filesystem.OpenFile(name, flag, perm)
}

func (c packCounter) count(name string) {
	if strings.HasSuffix(name, ".pack") {
		c.opened.Add(1)
	}
}

// TestGitOpensAPackOncePerOperation checks a commit of 40 files out, and
// asks for a path in it: each operation opens the pack it reads once, not
// once for each object, and closes it when it ends.
func TestGitOpensAPackOncePerOperation(t *testing.T) {
	var opened atomic.Int64
	was := repoFilesystem
	repoFilesystem = func(dir string) billy.Filesystem { return packCounter{Filesystem: was(dir), opened: &opened} }
	t.Cleanup(func() { repoFilesystem = was })

	srv := gitserver.NewHTTP(t)
	served := srv.NewRepo(t, "app")
	repo := Repository{URL: srv.RepoURL("app"), Username: srv.Username, Password: srv.Password}
	g, _ := testGit(t, GitOptions{})
	files := map[string]string{}
	for i := range 40 {
		files[fmt.Sprintf("apps/app-%02d/config.yaml", i)] = fmt.Sprintf("n: %d\n", i)
	}
	sha := served.Commit(t, "main", files, "forty files")
	checkoutMatches(t, g, repo, sha, files)
	if n := opened.Load(); n < 1 || n > 2 {
		t.Errorf("a checkout of 40 files opened the pack %d times, want once (twice at most)", n)
	}
	lr, err := g.local(repo)
	if err != nil {
		t.Fatal(err)
	}
	if open := openUnder(t, lr.dir); len(open) > 0 {
		t.Errorf("files of the local repository still open after the checkout:\n%s", strings.Join(open, "\n"))
	}

	opened.Store(0)
	if _, err := g.TreeHash(context.Background(), repo, sha, "apps/app-07"); err != nil {
		t.Fatal(err)
	}
	if n := opened.Load(); n > 1 {
		t.Errorf("a tree hash opened the pack %d times, want once at most", n)
	}
	if open := openUnder(t, lr.dir); len(open) > 0 {
		t.Errorf("files of the local repository still open after a tree hash:\n%s", strings.Join(open, "\n"))
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
