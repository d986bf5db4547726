package render

import (
	"path/filepath"
	"testing"
)

// FuzzHelmResolveValuePath checks that whatever path a user writes as a
// value file, a path it accepts is inside the repository or inside the
// root of the ref it names.
func FuzzHelmResolveValuePath(f *testing.F) {
	for _, seed := range []string{
		"values.yaml", "../values.yaml", "../../../etc/passwd", "/etc/passwd",
		"$values/env/prod.yaml", "$values/../../x", "$values", "$/x", "$$values/x",
		"https://example.com/v.yaml", "file:///etc/passwd", "a/./../../b", "//x", `..\..\x`,
	} {
		f.Add(seed)
	}
	root := filepath.FromSlash("/fuzz/repo")
	dir := filepath.Join(root, "charts", "app")
	refs := map[string]string{"values": filepath.FromSlash("/fuzz/values")}
	f.Fuzz(func(t *testing.T, p string) {
		_, got, err := resolveValuePath(root, dir, refs, p)
		if err != nil {
			return
		}
		if !pathInside(root, got) && !pathInside(refs["values"], got) {
			t.Errorf("resolveValuePath(%q) = %s, outside %s and %s", p, got, root, refs["values"])
		}
	})
}
