package render

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// repoRoot is the root of a checked-out repository: nothing outside it may
// be read, even through a symbolic link.
type repoRoot struct {
	// path is the root as given, cleaned; paths handed out are under it.
	path string
	// resolved is path with symbolic links resolved.
	resolved string
}

func newRepoRoot(root string) (repoRoot, error) {
	if root == "" {
		return repoRoot{}, errors.New("render request has no repository root")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return repoRoot{}, fmt.Errorf("repository root %s: %w", root, err)
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return repoRoot{}, fmt.Errorf("repository root %s: %w", root, err)
	}
	return repoRoot{path: abs, resolved: resolved}, nil
}

// errEscapes is wrapped by every error about a path that leads out of the
// repository.
var errEscapes = errors.New("leads outside the repository")

// resolve returns path, which must be under the root, after checking that
// it exists and that following its symbolic links stays in the root.
func (r repoRoot) resolve(path string) (string, error) {
	if !inside(r.path, path) {
		return "", errEscapes
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", err
	}
	if !inside(r.resolved, real) {
		return "", errEscapes
	}
	return path, nil
}

// rel is path relative to the root, with forward slashes, for messages.
func (r repoRoot) rel(path string) string {
	rel, err := filepath.Rel(r.path, path)
	if err != nil {
		return path
	}
	return filepath.ToSlash(rel)
}

// appPath is the directory of a Git source: its path inside the root.
func appPath(r repoRoot, src v1alpha1.ApplicationSource) (string, error) {
	dir := filepath.Join(r.path, filepath.FromSlash(src.Path))
	_, err := r.resolve(dir)
	switch {
	case errors.Is(err, errEscapes):
		return "", fmt.Errorf("path %s %w %s", src.Path, errEscapes, src.RepoURL)
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("path %s does not exist in repository %s at %s", src.Path, src.RepoURL, revision(src))
	case err != nil:
		return "", fmt.Errorf("path %s: %w", src.Path, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("path %s: %w", src.Path, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("path %s in repository %s at %s is not a directory", src.Path, src.RepoURL, revision(src))
	}
	return dir, nil
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
