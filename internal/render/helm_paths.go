package render

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
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
// A file that does not exist is not an error here; reading it is.
func resolveValuePath(root, dir string, refs map[string]string, p string) (string, error) {
	if u, err := url.Parse(p); err == nil && u.Scheme != "" && u.Host != "" {
		return "", fmt.Errorf("%s: remote value files are not supported, commit the file or add its repository as a source with a ref", p)
	}
	base, full := root, ""
	switch {
	case strings.HasPrefix(p, "$"):
		ref, rest, _ := strings.Cut(p[1:], "/")
		refRoot, ok := refs[ref]
		if !ok || refRoot == "" {
			return "", fmt.Errorf("%s: no source of the application has ref %q", p, ref)
		}
		base, full = refRoot, filepath.Join(refRoot, filepath.FromSlash(rest))
	case strings.HasPrefix(p, "/"):
		full = filepath.Join(root, filepath.FromSlash(p))
	default:
		full = filepath.Join(dir, filepath.FromSlash(p))
	}
	if !pathInside(base, full) {
		return "", fmt.Errorf("%s: path leaves the repository", p)
	}
	if err := checkLinkInside(base, full); err != nil {
		return "", fmt.Errorf("%s: %w", p, err)
	}
	return full, nil
}

// checkLinkInside refuses a path that exists but resolves, through symbolic
// links, to somewhere outside base.
func checkLinkInside(base, path string) error {
	real, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	realBase, err := filepath.EvalSymlinks(base)
	if err != nil {
		return err
	}
	if !pathInside(realBase, real) {
		return errors.New("symbolic link leaves the repository")
	}
	return nil
}

// pathInside reports whether path is dir or below it, lexically.
func pathInside(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// chartInputs lists the files of the chart in dir, which the loader reads,
// and refuses symbolic links that point outside root: the loader follows
// them, and a chart must not read files of the machine that renders it.
func chartInputs(root, dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if err := checkLinkInside(root, path); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if info, err := os.Stat(path); err == nil && info.IsDir() {
				return nil
			}
		}
		files = append(files, path)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read helm chart %s: %w", dir, err)
	}
	return files, nil
}
