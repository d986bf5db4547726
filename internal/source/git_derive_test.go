package source

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// workTree is a clone of a served repository that a test changes and
// pushes commit after commit, with the git program, as a user would.
type workTree struct {
	t    testing.TB
	dir  string
	repo *gitserver.Repo
}

func newWorkTree(t testing.TB, repo *gitserver.Repo) *workTree {
	w := &workTree{t: t, dir: t.TempDir(), repo: repo}
	w.git("init", "-q", "-b", "main")
	return w
}

func (w *workTree) git(args ...string) string {
	w.t.Helper()
	cmd := exec.Command("git", append([]string{"-C", w.dir, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		w.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// write writes a file with mode perm, replacing whatever was at name.
func (w *workTree) write(name, content string, perm os.FileMode) {
	w.t.Helper()
	p := w.clear(name)
	if err := os.WriteFile(p, []byte(content), perm); err != nil {
		w.t.Fatal(err)
	}
}

// link makes name a symbolic link to target, replacing whatever was there.
func (w *workTree) link(name, target string) {
	w.t.Helper()
	if err := os.Symlink(target, w.clear(name)); err != nil {
		w.t.Fatal(err)
	}
}

// clear removes whatever is at name, makes its parent directories, and
// returns its path.
func (w *workTree) clear(name string) string {
	w.t.Helper()
	p := w.path(name)
	if err := os.RemoveAll(p); err != nil {
		w.t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.t.Fatal(err)
	}
	return p
}

func (w *workTree) remove(name string) {
	w.t.Helper()
	if err := os.RemoveAll(w.path(name)); err != nil {
		w.t.Fatal(err)
	}
}

func (w *workTree) path(name string) string { return filepath.Join(w.dir, filepath.FromSlash(name)) }

// push commits every change and pushes main; it returns the commit.
func (w *workTree) push(message string) string {
	w.t.Helper()
	w.git("add", "--all")
	w.git("commit", "-q", "--allow-empty", "-m", message)
	w.git("push", "-q", "--force", w.repo.Dir, "main")
	return w.git("rev-parse", "HEAD")
}

// snapshot describes every entry of a checked-out tree: kind, mode, and
// content or link target.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[filepath.ToSlash(rel)] = "link " + target
		case d.IsDir():
			out[filepath.ToSlash(rel)] = fmt.Sprintf("dir %o", info.Mode().Perm())
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[filepath.ToSlash(rel)] = fmt.Sprintf("file %o %s", info.Mode().Perm(), b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGitCheckoutDerivesFromTheLastTree checks out commit after commit,
// each changing files, modes, links, and a file into a directory and
// back: every tree is what a whole extraction into an empty cache
// writes, the files a commit did not change are the previous tree's (hard
// links), and the previous tree is left as it was.
func TestGitCheckoutDerivesFromTheLastTree(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	served := srv.NewRepo(t, "app")
	repo := Repository{URL: srv.RepoURL("app"), Username: srv.Username, Password: srv.Password}
	w := newWorkTree(t, served)
	w.write("a.yaml", "a: 1\n", 0o644)
	w.write("keep/x.yaml", "x: 1\n", 0o644)
	w.write("keep/y.yaml", "y: 1\n", 0o644)
	w.write("run.sh", "#!/bin/sh\n", 0o755)
	w.write("d/inner.txt", "inner\n", 0o644)
	w.write("f.txt", "f\n", 0o644)
	w.link("ln", "keep/x.yaml")
	w.link("keep/up", "../a.yaml")
	steps := []func(){
		func() {},
		func() {
			w.write("a.yaml", "a: 2\n", 0o644)
			w.write("new/z.yaml", "z: 1\n", 0o644)
			w.remove("keep/y.yaml")
			w.write("run.sh", "#!/bin/sh\n", 0o644)
			w.link("ln", "a.yaml")
			w.remove("d")
			w.write("d", "now a file\n", 0o644)
			w.remove("f.txt")
			w.write("f.txt/inner", "now a directory\n", 0o644)
		},
		func() {
			w.remove("new")
			w.write("keep/y.yaml", "y: 2\n", 0o755)
			w.remove("ln")
			w.write("ln", "a file again\n", 0o644)
		},
		func() {}, // nothing changed but the commit
	}
	g, _ := testGit(t, GitOptions{})
	var prevDir string
	var prev map[string]string
	for i, step := range steps {
		step()
		sha := w.push(fmt.Sprintf("step %d", i))
		dir, got := checkoutAsWhole(t, g, repo, sha)
		if prevDir != "" {
			if diff := cmp.Diff(prev, snapshot(t, prevDir)); diff != "" {
				t.Errorf("step %d changed the previous tree (-before +after):\n%s", i, diff)
			}
			if !sameFile(t, filepath.Join(prevDir, "keep/x.yaml"), filepath.Join(dir, "keep/x.yaml")) {
				t.Errorf("step %d: an unchanged file was written again, not linked", i)
			}
		}
		if i == 1 && sameFile(t, filepath.Join(prevDir, "a.yaml"), filepath.Join(dir, "a.yaml")) {
			t.Errorf("step %d: a changed file is shared with the previous tree", i)
		}
		prevDir, prev = dir, got
	}
}

// checkoutAsWhole checks sha out with g and fails the test unless the
// tree is what a whole extraction into an empty cache writes; it returns
// the tree and its snapshot.
func checkoutAsWhole(t *testing.T, g *Git, repo Repository, sha string) (string, map[string]string) {
	t.Helper()
	ctx := context.Background()
	dir, err := g.Checkout(ctx, repo, sha)
	if err != nil {
		t.Fatalf("Checkout(%s): %v", sha, err)
	}
	whole, _ := testGit(t, GitOptions{})
	wholeDir, err := whole.Checkout(ctx, repo, sha)
	if err != nil {
		t.Fatalf("whole Checkout(%s): %v", sha, err)
	}
	got := snapshot(t, dir)
	if diff := cmp.Diff(snapshot(t, wholeDir), got); diff != "" {
		t.Errorf("the tree of %s against a whole extraction (-whole +got):\n%s", sha, diff)
	}
	return dir, got
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	ia, err := os.Lstat(a)
	if err != nil {
		t.Fatal(err)
	}
	ib, err := os.Lstat(b)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(ia, ib)
}

// TestGitFetchAfterTheFirstIsIncremental checks that once a commit is
// stored, a later one is fetched with the history in between (only the
// objects the local repository lacks), not shallow with its whole tree.
func TestGitFetchAfterTheFirstIsIncremental(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	served := srv.NewRepo(t, "app")
	repo := Repository{URL: srv.RepoURL("app"), Username: srv.Username, Password: srv.Password}
	g, clk := testGit(t, GitOptions{})
	ctx := context.Background()
	first := served.Commit(t, "main", map[string]string{"a.yaml": "a: 1\n", "b.yaml": "b: 1\n"}, "first")
	checkoutMatches(t, g, repo, first, map[string]string{"a.yaml": "a: 1\n", "b.yaml": "b: 1\n"})
	between := served.Commit(t, "main", map[string]string{"a.yaml": "a: 2\n"}, "between")
	last := served.Commit(t, "main", map[string]string{"b.yaml": "b: 2\n"}, "last")
	clk.SetTime(clk.Now().Add(2 * time.Minute)) // past the poll interval: ask for refs again
	sha, err := g.Resolve(ctx, repo, "main")
	if err != nil || sha != last {
		t.Fatalf("Resolve(main) = %s, %v; want %s", sha, err, last)
	}
	checkoutMatches(t, g, repo, last, map[string]string{"a.yaml": "a: 2\n", "b.yaml": "b: 2\n"})
	if !storedCommit(t, g, repo, between) {
		t.Errorf("the commit between the two was not fetched: the last one was fetched shallow")
	}
}

// TestGitIncrementalFetchWithAGapFetchesAgain restores a file to a content
// of an older commit than the local repository holds. A server with
// reachability bitmaps leaves that content out of an incremental fetch,
// believing the client has the older history: the checkout finds the gap,
// fetches the repository again from nothing, and writes the right tree.
func TestGitIncrementalFetchWithAGapFetchesAgain(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	served := srv.NewRepo(t, "app")
	repo := Repository{URL: srv.RepoURL("app"), Username: srv.Username, Password: srv.Password}
	g, clk := testGit(t, GitOptions{})
	ctx := context.Background()
	old := "the first content, only in the first commit\n"
	served.Commit(t, "main", map[string]string{"a.yaml": old, "b.yaml": "b: 1\n"}, "first")
	second := served.Commit(t, "main", map[string]string{"a.yaml": "a: 2\n"}, "second")
	checkoutMatches(t, g, repo, second, map[string]string{"a.yaml": "a: 2\n", "b.yaml": "b: 1\n"})
	// The root tree is new; the content of a.yaml is the first commit's.
	reverted := served.Commit(t, "main", map[string]string{"a.yaml": old, "b.yaml": "b: 3\n"}, "revert")
	if out, err := exec.Command("git", "-C", served.Dir, "repack", "-a", "-d", "-b", "-q").CombinedOutput(); err != nil {
		t.Fatalf("repack with bitmaps: %v\n%s", err, out)
	}
	clk.SetTime(clk.Now().Add(2 * time.Minute))
	if _, err := g.Resolve(ctx, repo, "main"); err != nil {
		t.Fatal(err)
	}
	checkoutMatches(t, g, repo, reverted, map[string]string{"a.yaml": old, "b.yaml": "b: 3\n"})
	if storedCommit(t, g, repo, second) {
		t.Errorf("the local repository still holds the commit before: the gap was not found")
	}
	// What it holds now is whole: the next push is incremental again.
	next := served.Commit(t, "main", map[string]string{"b.yaml": "b: 2\n"}, "next")
	clk.SetTime(clk.Now().Add(2 * time.Minute))
	if _, err := g.Resolve(ctx, repo, "main"); err != nil {
		t.Fatal(err)
	}
	checkoutMatches(t, g, repo, next, map[string]string{"a.yaml": old, "b.yaml": "b: 2\n"})
	if !storedCommit(t, g, repo, reverted) {
		t.Errorf("the commit fetched again was lost")
	}
}

// storedCommit reports whether the local repository of repo holds sha.
func storedCommit(t *testing.T, g *Git, repo Repository, sha string) bool {
	t.Helper()
	lr, err := g.local(repo)
	if err != nil {
		t.Fatal(err)
	}
	lr.mu.Lock()
	defer lr.mu.Unlock()
	_, err = lr.repo.CommitObject(plumbing.NewHash(sha))
	return err == nil
}

// TestGitCheckoutDerivedRefusesAGitDirectory pushes, after a commit
// checked out, one whose tree holds sub/.git/config (made with git mktree,
// which does not check names as git add does): a derived checkout refuses
// it as a whole extraction does.
func TestGitCheckoutDerivedRefusesAGitDirectory(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	served := srv.NewRepo(t, "app")
	repo := Repository{URL: srv.RepoURL("app"), Username: srv.Username, Password: srv.Password}
	g, clk := testGit(t, GitOptions{})
	ctx := context.Background()
	first := served.Commit(t, "main", map[string]string{"a.yaml": "a: 1\n"}, "first")
	checkoutMatches(t, g, repo, first, map[string]string{"a.yaml": "a: 1\n"})

	git := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", served.Dir}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	blob := git("[core]\n\tfsmonitor = touch /tmp/owned\n", "hash-object", "-w", "--stdin")
	config := git("100644 blob "+blob+"\tconfig\n", "mktree")
	dotGit := git("040000 tree "+config+"\t.git\n", "mktree")
	aYAML := served.RevParse(t, first+":a.yaml")
	root := git("100644 blob "+aYAML+"\ta.yaml\n040000 tree "+dotGit+"\tsub\n", "mktree")
	bad := git("", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit-tree", root, "-p", first, "-m", "a .git directory")
	git("", "update-ref", "refs/heads/main", bad)

	clk.SetTime(clk.Now().Add(2 * time.Minute))
	if sha, err := g.Resolve(ctx, repo, "main"); err != nil || sha != bad {
		t.Fatalf("Resolve(main) = %s, %v; want %s", sha, err, bad)
	}
	if dir, err := g.Checkout(ctx, repo, bad); err == nil {
		t.Errorf("a derived checkout wrote a tree with sub/.git/config: %v", snapshot(t, dir))
	}
	whole, _ := testGit(t, GitOptions{})
	if _, err := whole.Checkout(ctx, repo, bad); err == nil {
		t.Errorf("a whole extraction wrote a tree with sub/.git/config")
	}
}

// TestGitCheckoutFallsBackToAWholeExtraction covers the two ways a
// checkout cannot start from the repository's last tree: the tree cache
// evicted it, or deriving from it fails (here a carried file that is no
// longer a regular file, as in a damaged cache). Either way the new tree
// is written whole, is what a whole extraction writes, and the failed
// attempt leaves nothing behind.
func TestGitCheckoutFallsBackToAWholeExtraction(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	newRepo := func(t *testing.T, name string) (Repository, *workTree) {
		w := newWorkTree(t, srv.NewRepo(t, name))
		w.write("a.yaml", "a: 1\n", 0o644)
		w.write("keep/x.yaml", "x: 1\n", 0o644)
		return Repository{URL: srv.RepoURL(name), Username: srv.Username, Password: srv.Password}, w
	}
	// next pushes a change to a.yaml and checks the checkout of the new
	// commit against a whole extraction into an empty cache.
	next := func(t *testing.T, g *Git, repo Repository, w *workTree, content string) string {
		t.Helper()
		w.write("a.yaml", content, 0o644)
		dir, _ := checkoutAsWhole(t, g, repo, w.push(content))
		return dir
	}
	noTemporaryTrees := func(t *testing.T, g *Git) {
		t.Helper()
		des, err := os.ReadDir(filepath.Join(g.opts.CacheDir, "tmp"))
		if err != nil {
			t.Fatal(err)
		}
		if len(des) != 0 {
			t.Errorf("%d temporary trees left behind, first %s", len(des), des[0].Name())
		}
	}

	t.Run("the last tree was evicted", func(t *testing.T) {
		// A bound of one byte keeps only the tree checked out last.
		g, _ := testGit(t, GitOptions{MaxCacheBytes: 1})
		repo, w := newRepo(t, "evicted")
		other, otherWork := newRepo(t, "other")
		first := next(t, g, repo, w, "a: 1\n")
		next(t, g, other, otherWork, "b: 1\n")
		if _, err := os.Stat(first); !os.IsNotExist(err) {
			t.Fatalf("the first repository's tree %s is still cached (%v): the test needs it evicted", first, err)
		}
		next(t, g, repo, w, "a: 2\n")
		noTemporaryTrees(t, g)
	})

	t.Run("deriving fails", func(t *testing.T) {
		g, _ := testGit(t, GitOptions{})
		repo, w := newRepo(t, "damaged")
		first := next(t, g, repo, w, "a: 1\n")
		// keep/x.yaml would be carried over by a hard link: make it a
		// named pipe, which derive refuses to carry.
		carried := filepath.Join(first, "keep", "x.yaml")
		if err := os.Chmod(filepath.Dir(carried), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(carried); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(carried, 0o644); err != nil {
			t.Fatal(err)
		}
		dir := next(t, g, repo, w, "a: 2\n")
		if info, err := os.Lstat(filepath.Join(dir, "keep", "x.yaml")); err != nil || !info.Mode().IsRegular() {
			t.Errorf("keep/x.yaml in the new tree: %v, %v; want the regular file of the commit", info, err)
		}
		noTemporaryTrees(t, g)
	})
}
