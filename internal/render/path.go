package render

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// appPath is the directory of a Git source: its path inside the root,
// refused before anything is read when it leaves the root.
func appPath(t *tree, src v1alpha1.ApplicationSource) (string, error) {
	if err := checkSourcePath(src); err != nil {
		return "", err
	}
	dir := filepath.Join(t.path, filepath.FromSlash(src.Path))
	fi, err := t.stat(dir)
	switch {
	case errors.Is(err, errEscapes):
		return "", fmt.Errorf("path %s %w %s", src.Path, errEscapes, src.RepoURL)
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("path %s does not exist in repository %s at %s", src.Path, src.RepoURL, revision(src))
	case err != nil:
		return "", fmt.Errorf("path %s: %w", src.Path, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("path %s in repository %s at %s is not a directory", src.Path, src.RepoURL, revision(src))
	}
	return dir, nil
}

// checkSourcePath refuses, lexically, a source path that leaves the
// repository, so that nothing (not even the cache's digest) reads it.
func checkSourcePath(src v1alpha1.ApplicationSource) error {
	if src.Chart != "" || localName(src.Path) {
		return nil
	}
	return fmt.Errorf("path %s %w %s", src.Path, errEscapes, src.RepoURL)
}

// localName tells whether a slash-separated path written by a user stays
// under the directory it is relative to: "", "." and "/" are that
// directory, a leading slash is ignored, and no `..` may climb above it.
func localName(p string) bool {
	p = strings.TrimLeft(filepath.ToSlash(p), "/")
	return p == "" || filepath.IsLocal(filepath.FromSlash(p))
}

func revision(src v1alpha1.ApplicationSource) string {
	if src.TargetRevision == "" {
		return "HEAD"
	}
	return src.TargetRevision
}

// inside reports whether path is dir or below it; both must be clean and
// absolute.
func inside(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
