package render

import (
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzResolveLinks checks that whatever links a tree holds and whatever
// name is asked for, a name resolveLinks accepts is inside the root and
// holds no link.
func FuzzResolveLinks(f *testing.F) {
	f.Add("sub/x/file", "sub/up", "..", "sub/x", "up/..")
	f.Add("a/e", "a/b/c/deep", "../../..", "a/e", "b/c/deep/../x")
	f.Add("l/l/l", "l", ".", "m", "l")
	f.Add("x", "x", "/etc", "y", "x")
	f.Add("../a", "a", "b", "b", "a")
	f.Fuzz(func(t *testing.T, name, link1, target1, link2, target2 string) {
		links := map[string]string{path.Clean(link1): target1, path.Clean(link2): target2}
		readlink := func(n string) (string, bool, error) {
			target, ok := links[n]
			return target, ok, nil
		}
		got, err := resolveLinks(name, readlink)
		if err != nil {
			return
		}
		if got != "." && !filepath.IsLocal(got) {
			t.Fatalf("resolveLinks(%q) = %q, outside the root (links %v)", name, got, links)
		}
		for p := got; p != "." && p != "/"; p = path.Dir(p) {
			if _, isLink := links[p]; isLink {
				t.Fatalf("resolveLinks(%q) = %q, which goes through link %s (links %v)", name, got, p, links)
			}
		}
	})
}

// FuzzLocalName checks that a source path localName accepts stays under
// the directory it is relative to once joined to it.
func FuzzLocalName(f *testing.F) {
	for _, seed := range []string{"", ".", "/", "apps/x", "../x", "a/../../b", "/../x", "a/./b/..", `..\x`, "//x/.."} {
		f.Add(seed)
	}
	root := filepath.FromSlash("/fuzz/repo")
	f.Fuzz(func(t *testing.T, p string) {
		if !localName(p) {
			return
		}
		joined := filepath.Join(root, filepath.FromSlash(p))
		if !inside(root, joined) || strings.HasPrefix(joined, root+"..") {
			t.Errorf("localName(%q) but %s is outside %s", p, joined, root)
		}
	})
}
