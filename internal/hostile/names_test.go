package hostile

import (
	"io/fs"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Zip-slip: tree entries whose names, joined to the checkout directory,
// would land outside it. Git's own tools never write a ".." entry, but a
// hostile server, or a repository built with plumbing, can.

// rawTree is a Git tree written entry by entry with git mktree, which
// takes names that fast-import refuses: a name maps to a file's content
// (string) or to a subtree (rawTree).
type rawTree map[string]any

// mktree writes rt and returns its hash.
func (r *repo) mktree(t *testing.T, rt rawTree) string {
	t.Helper()
	names := make([]string, 0, len(rt))
	for n := range rt {
		names = append(names, n)
	}
	sort.Strings(names)
	var listing strings.Builder
	for _, n := range names {
		switch v := rt[n].(type) {
		case string:
			blob := r.git(t, []byte(v), "hash-object", "-w", "--stdin")
			listing.WriteString("100644 blob " + blob + "\t" + n + "\n")
		case rawTree:
			listing.WriteString("040000 tree " + r.mktree(t, v) + "\t" + n + "\n")
		}
	}
	return r.git(t, []byte(listing.String()), "mktree")
}

// commitRaw makes rt the tree of a new commit on main.
func (r *repo) commitRaw(t *testing.T, rt rawTree) {
	t.Helper()
	sha := r.git(t, nil, "commit-tree", r.mktree(t, rt), "-m", "raw")
	r.git(t, nil, "update-ref", "refs/heads/main", sha)
}

func (r *repo) git(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	out, err := gitIn(r.Dir, stdin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A tree with an entry "..", holding another "..", holding a manifest, is
// refused at checkout, naming the entry; nothing is written outside the
// checkout directory.
func TestTreeEntryNamedDotDot(t *testing.T) {
	const marker = "zip-slip-3b7d.yaml"
	a := newAttack(t, "zip-slip")
	a.project(nil)
	r := newRepo(t, suite.public, "repo")
	r.commitRaw(t, rawTree{
		"app": rawTree{"cm.yaml": configMap("ok", "", nil)},
		"..":  rawTree{"..": rawTree{marker: configMap("evil", "", nil)}},
	})
	a.app("zip-slip", directory(r.url), nil)
	a.waitCause("zip-slip", `invalid path "\.\."`)
	a.survived()
	_ = filepath.WalkDir(suite.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == marker {
			t.Errorf("a tree entry was written outside the checkout, at %s", p)
		}
		return nil
	})
}

// Names that are paths elsewhere, and names longer than the file system
// allows, fail the checkout with a message naming them: a file named
// `..\..\evil.yaml` (a climb on Windows) and one of 300 characters.
func TestOddNames(t *testing.T) {
	for _, c := range []refusal{{
		name:  "backslash",
		tree:  tree{files: map[string]string{`app/..\..\evil.yaml`: configMap("backslash", "", nil)}},
		cause: []string{regexp.QuoteMeta(`..\\..\\evil.yaml`), "invalid path"},
	}, {
		name:  "long-name",
		tree:  tree{files: map[string]string{"app/" + strings.Repeat("n", 300) + ".yaml": configMap("long", "", nil)}},
		cause: []string{"nnnnnnnn", "(?i)too long"},
	}} {
		t.Run(c.name, c.run)
	}
}
