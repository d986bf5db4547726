package render

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// tree is the one view of a checked-out tree through which every renderer
// reads: an os.Root, which refuses at open time, at every component, a
// `..` or a symbolic link that leads out of it, so there is no window
// between a check and a read. Renderers name files by absolute paths under
// path, as they build them; tree maps those to names inside the root
// lexically, and only the root follows links.
type tree struct {
	// path is the root as given, absolute and clean.
	path string
	root *os.Root
}

func openTree(dir string) (*tree, error) {
	if dir == "" {
		return nil, errors.New("render request has no repository root")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("repository root %s: %w", dir, err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("repository root %s: %w", dir, err)
	}
	return &tree{path: abs, root: root}, nil
}

func (t *tree) close() { t.root.Close() }

// errEscapes is wrapped by every error about a path that leads out of the
// repository.
var errEscapes = errors.New("leads outside the repository")

// name is abs as a name inside the root, refusing a path that is not
// lexically under it.
func (t *tree) name(abs string) (string, error) {
	rel, err := filepath.Rel(t.path, abs)
	if err != nil || !filepath.IsLocal(rel) || !filepath.IsAbs(abs) {
		return "", errEscapes
	}
	return rel, nil
}

// rel is path relative to the root, with forward slashes, for messages.
func (t *tree) rel(path string) string {
	rel, err := filepath.Rel(t.path, path)
	if err != nil {
		return path
	}
	return filepath.ToSlash(rel)
}

// abs is the absolute path of a name inside the root.
func (t *tree) abs(name string) string { return filepath.Join(t.path, name) }

func (t *tree) readFile(abs string) ([]byte, error) {
	name, err := t.name(abs)
	if err != nil {
		return nil, err
	}
	data, err := t.root.ReadFile(name)
	return data, escaped(err)
}

func (t *tree) stat(abs string) (fs.FileInfo, error) {
	name, err := t.name(abs)
	if err != nil {
		return nil, err
	}
	fi, err := t.root.Stat(name)
	return fi, escaped(err)
}

func (t *tree) open(abs string) (*os.File, error) {
	name, err := t.name(abs)
	if err != nil {
		return nil, err
	}
	f, err := t.root.Open(name)
	return f, escaped(err)
}

// readDir lists a directory in lexical order.
func (t *tree) readDir(abs string) ([]fs.DirEntry, error) {
	name, err := t.name(abs)
	if err != nil {
		return nil, err
	}
	return sortedEntries(t.root, name)
}

// sortedEntries lists the directory name inside root in lexical order.
func sortedEntries(root *os.Root, name string) ([]fs.DirEntry, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, escaped(err)
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, nil
}

// realName is the name inside the root that abs leads to once every
// symbolic link along it is followed, refusing one that leaves the root.
func (t *tree) realName(abs string) (string, error) {
	name, err := t.name(abs)
	if err != nil {
		return "", err
	}
	real, err := resolveLinks(filepath.ToSlash(name), t.readlink)
	if err != nil {
		return "", fmt.Errorf("%s: %w", t.rel(abs), err)
	}
	return filepath.FromSlash(real), nil
}

// readlink is a link's target, or false for anything that is not a link,
// including a name that does not exist.
func (t *tree) readlink(name string) (string, bool, error) {
	fi, err := t.root.Lstat(filepath.FromSlash(name))
	if errors.Is(err, fs.ErrNotExist) || err == nil && fi.Mode()&fs.ModeSymlink == 0 {
		return "", false, nil
	}
	if err != nil {
		return "", false, escaped(err)
	}
	target, err := t.root.Readlink(filepath.FromSlash(name))
	return filepath.ToSlash(target), true, escaped(err)
}

// escaped makes the root's refusal of a path that leaves it an error that
// wraps errEscapes; os does not export its own.
func escaped(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Err != nil && pe.Err.Error() == "path escapes from parent" {
		return errEscapes
	}
	return err
}

// maxLinks bounds the symbolic links followed in one name, as the kernel
// bounds them.
const maxLinks = 40

// resolveLinks returns name, slash-separated and relative to a root, with
// every symbolic link along it replaced by its target, the way the kernel
// would resolve it if the root were "/" except that a `..` or a link that
// leads above the root, and an absolute link, are refused. readlink tells
// the target of a name that is a link. A component that does not exist
// stays as it is.
func resolveLinks(name string, readlink func(name string) (string, bool, error)) (string, error) {
	var done []string
	todo := strings.Split(name, "/")
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) == 0 {
				return "", errEscapes
			}
			done = done[:len(done)-1]
			continue
		}
		target, isLink, err := readlink(path.Join(path.Join(done...), c))
		if err != nil {
			return "", err
		}
		if !isLink {
			done = append(done, c)
			continue
		}
		if links++; links > maxLinks {
			return "", errors.New("too many levels of symbolic links")
		}
		if path.IsAbs(target) || target == "" {
			return "", fmt.Errorf("link to %q %w", target, errEscapes)
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	if len(done) == 0 {
		return ".", nil
	}
	return path.Join(done...), nil
}
