package project

import (
	"fmt"
	"path"
	"sync"

	"github.com/gobwas/glob"
)

// globs caches compiled patterns: a project's few patterns are matched
// against every object of every Application in it.
var globs struct {
	sync.Mutex
	m map[string]glob.Glob
}

// maxGlobs bounds the cache; patterns change only when projects are edited.
const maxGlobs = 4096

// match reports whether s matches the glob pattern: `*` matches any run of
// characters except a separator, `**` any run at all, `?` one character,
// `[a-z]`, `[!a]` one character of a class and `{a,b}` either alternative.
// The pattern "*" matches everything. A malformed pattern is an error, never
// a silent mismatch: a broken exception must not quietly allow.
func match(pattern, s string, separators ...rune) (bool, error) {
	if pattern == "*" {
		return true, nil
	}
	key := string(separators) + "\x00" + pattern
	globs.Lock()
	g, ok := globs.m[key]
	globs.Unlock()
	if !ok {
		var err error
		g, err = glob.Compile(pattern, separators...)
		if err != nil {
			return false, fmt.Errorf("invalid pattern %q: %w", pattern, err)
		}
		globs.Lock()
		if globs.m == nil || len(globs.m) >= maxGlobs {
			globs.m = make(map[string]glob.Glob)
		}
		globs.m[key] = g
		globs.Unlock()
	}
	return g.Match(s), nil
}

// matchName matches a kind or group pattern as a file name glob (`*`, `?`,
// `[...]`), the syntax of the resource lists.
func matchName(pattern, s string) (bool, error) {
	ok, err := path.Match(pattern, s)
	if err != nil {
		return false, fmt.Errorf("invalid pattern %q: %w", pattern, err)
	}
	return ok, nil
}
