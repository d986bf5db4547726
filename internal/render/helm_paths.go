package render

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// resolveValuePath turns a value file or file parameter path, as written in
// the source, into the file to read and the root that must contain it:
//
//   - `$ref/path` is relative to the root of the source named ref;
//   - `/path` is relative to the repository root;
//   - anything else is relative to the chart directory dir.
//
// URLs are refused: a render never reaches the network for values. A path
// that leaves its root, lexically or through a symbolic link, is refused.
// A file that does not exist is not an error here; reading it is, through
// the tree of base, which refuses links that leave it.
func resolveValuePath(root, dir string, refs map[string]string, p string) (base, full string, err error) {
	if u, err := url.Parse(p); err == nil && u.Scheme != "" && u.Host != "" {
		return "", "", fmt.Errorf("%s: remote value files are not supported, commit the file or add its repository as a source with a ref", p)
	}
	base = root
	switch {
	case strings.HasPrefix(p, "$"):
		ref, rest, _ := strings.Cut(p[1:], "/")
		refRoot, ok := refs[ref]
		if !ok || refRoot == "" {
			return "", "", fmt.Errorf("%s: no source of the application has ref %q", p, ref)
		}
		base, full = refRoot, filepath.Join(refRoot, filepath.FromSlash(rest))
	case strings.HasPrefix(p, "/"):
		full = filepath.Join(root, filepath.FromSlash(p))
	default:
		full = filepath.Join(dir, filepath.FromSlash(p))
	}
	if !pathInside(base, full) {
		return "", "", fmt.Errorf("%s: path %w", p, errEscapes)
	}
	return base, full, nil
}

// pathInside reports whether path is dir or below it, lexically.
func pathInside(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
