package source

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// fetchTimeout bounds one fetch and extraction.
const fetchTimeout = 10 * time.Minute

// ErrPathNotFound: the path does not exist at that commit.
var ErrPathNotFound = errors.New("path not found")

// ErrPathIsLink: the path is a symbolic link at that commit, whose object
// hash is that of the link's target name, not of what it leads to.
var ErrPathIsLink = errors.New("path is a symbolic link")

// extract writes the tree of sha into a new directory under the cache's tmp
// directory, read-only, and returns it with the bytes written. Every write
// goes through an os.Root of that directory, so no entry is written
// through a link out of it. Symbolic links that lead outside the tree,
// once every link along their target is followed, are refused: a rendered
// manifest must not read files of the host.
func (g *Git) extract(lr *localRepo, sha string) (string, int64, error) {
	commit, err := lr.repo.CommitObject(plumbing.NewHash(sha))
	if err != nil {
		return "", 0, err
	}
	tree, err := commit.Tree()
	if err != nil {
		return "", 0, err
	}
	tmp, root, err := g.newTree(sha)
	if err != nil {
		return "", 0, err
	}
	defer root.Close()
	var size int64
	var links []string
	err = tree.Files().ForEach(func(f *object.File) error {
		n, err := writeEntry(root, f)
		size += n
		if f.Mode == filemode.Symlink {
			links = append(links, f.Name)
		}
		return err
	})
	if err == nil {
		err = checkLinks(root, links)
	}
	if err == nil {
		err = makeReadOnly(tmp)
	}
	if err != nil {
		_ = removeAll(tmp)
		return "", 0, fmt.Errorf("check out %s: %w", sha, err)
	}
	return tmp, size, nil
}

// derive writes the tree of sha into a new directory as extract does, from
// baseDir, the checked-out tree of commit baseSHA: the files the two
// commits share are hard links to baseDir's (which is read-only, as they
// stay), and only the files that differ are read from the repository. A
// push that changes one file of a repository of 10,000 directories is
// then written in a fraction of the time a whole extraction takes. Any
// error leaves nothing behind; the caller then extracts the whole tree.
//
// A linked file is one inode in both trees: like every tree of the cache,
// it is read-only, and a process of capstan's own user that made it
// writable again would change both (and the trees derived from them).
// Files written are checked as extract checks them: each path through
// go-git's tree-path rules (no .git, no ..), each link within the tree.
func (g *Git) derive(lr *localRepo, baseSHA, baseDir, sha string) (string, int64, error) {
	baseTree, err := lr.tree(baseSHA)
	if err != nil {
		return "", 0, err
	}
	tree, err := lr.tree(sha)
	if err != nil {
		return "", 0, err
	}
	changes, err := lr.diffTrees(baseTree, tree)
	if err != nil {
		return "", 0, err
	}
	gone := map[string]bool{} // paths of baseDir not to carry over
	for _, c := range changes {
		if c.From.Name != "" {
			gone[c.From.Name] = true
		}
	}
	tmp, root, err := g.newTree(sha)
	if err != nil {
		return "", 0, err
	}
	defer root.Close()
	d := &derived{root: root, dirs: map[string]bool{".": true}}
	err = filepath.WalkDir(baseDir, func(p string, de fs.DirEntry, err error) error {
		if err != nil || p == baseDir {
			return err
		}
		name, err := filepath.Rel(baseDir, p)
		if err != nil {
			return err
		}
		if gone[filepath.ToSlash(name)] {
			if de.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		return d.carry(p, name, de)
	})
	for _, c := range changes {
		if err != nil {
			break
		}
		e := c.To
		if e.Name == "" || e.Mode == filemode.Submodule {
			continue
		}
		err = d.write(tree, e)
	}
	if err == nil {
		err = checkLinks(root, d.links)
	}
	if err == nil {
		err = d.makeReadOnly()
	}
	if err != nil {
		_ = removeAll(tmp)
		return "", 0, fmt.Errorf("check out %s from %s: %w", sha, baseSHA, err)
	}
	return tmp, d.size, nil
}

// derived is a tree being written by derive.
type derived struct {
	root    *os.Root
	dirs    map[string]bool // made, by OS path relative to root
	written []string        // files written, not linked
	links   []string        // symbolic links, slash-separated
	size    int64
}

// carry links or copies into the new tree the entry de of the base tree,
// at path p, named name within it.
func (d *derived) carry(p, name string, de fs.DirEntry) error {
	switch {
	case de.IsDir():
		return nil // made when a file needs it: Git keeps no empty directory
	case de.Type()&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return err
		}
		if err := d.mkdirs(filepath.Dir(name)); err != nil {
			return err
		}
		d.links = append(d.links, filepath.ToSlash(name))
		d.size += int64(len(target))
		return d.root.Symlink(target, name)
	case de.Type().IsRegular():
		info, err := de.Info()
		if err != nil {
			return err
		}
		if err := d.mkdirs(filepath.Dir(name)); err != nil {
			return err
		}
		d.size += info.Size()
		return os.Link(p, filepath.Join(d.root.Name(), name))
	}
	return fmt.Errorf("file %s: not a regular file", name)
}

// write writes the file e of tree, the new commit's root: e.Name is its
// path from the root, which TreeEntryFile checks as a tree walk does.
func (d *derived) write(tree *object.Tree, e object.TreeEntry) error {
	f, err := tree.TreeEntryFile(&e)
	if err != nil {
		return fmt.Errorf("file %s: %w", e.Name, err)
	}
	if err := d.mkdirs(filepath.Dir(filepath.FromSlash(e.Name))); err != nil {
		return err
	}
	n, err := writeEntry(d.root, f)
	d.size += n
	if e.Mode == filemode.Symlink {
		d.links = append(d.links, e.Name)
	} else {
		d.written = append(d.written, filepath.FromSlash(e.Name))
	}
	return err
}

// mkdirs makes dir and its parents, each once.
func (d *derived) mkdirs(dir string) error {
	if d.dirs[dir] {
		return nil
	}
	if err := d.mkdirs(filepath.Dir(dir)); err != nil {
		return err
	}
	d.dirs[dir] = true
	return d.root.Mkdir(dir, 0o755)
}

// makeReadOnly removes the write bits of what derive made: the files it
// wrote, then the directories. The linked files are the base tree's,
// read-only already.
func (d *derived) makeReadOnly() error {
	for _, name := range d.written {
		info, err := d.root.Lstat(name)
		if err != nil {
			return err
		}
		if err := d.root.Chmod(name, info.Mode().Perm()&^0o222); err != nil {
			return err
		}
	}
	for dir := range d.dirs {
		info, err := d.root.Lstat(dir)
		if err != nil {
			return err
		}
		if err := d.root.Chmod(dir, info.Mode().Perm()&^0o222); err != nil {
			return err
		}
	}
	return nil
}

// newTree makes an empty directory for the tree of sha under the cache's
// tmp directory, and a confined view of it.
func (g *Git) newTree(sha string) (string, *os.Root, error) {
	tmp, err := os.MkdirTemp(filepath.Join(g.opts.CacheDir, "tmp"), sha[:12]+"-")
	if err != nil {
		return "", nil, err
	}
	root, err := os.OpenRoot(tmp)
	if err != nil {
		_ = removeAll(tmp)
		return "", nil, err
	}
	return tmp, root, nil
}

func writeEntry(root *os.Root, f *object.File) (int64, error) {
	if f.Mode == filemode.Submodule {
		return 0, nil
	}
	name := filepath.FromSlash(path.Clean(f.Name))
	if !filepath.IsLocal(name) {
		return 0, fmt.Errorf("file %s: path outside the tree", f.Name)
	}
	if err := root.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return 0, fmt.Errorf("file %s: %w", f.Name, err)
	}
	r, err := f.Reader()
	if err != nil {
		return 0, fmt.Errorf("file %s: %w", f.Name, err)
	}
	defer r.Close()
	if f.Mode == filemode.Symlink {
		target, err := io.ReadAll(r)
		if err != nil {
			return 0, fmt.Errorf("file %s: %w", f.Name, err)
		}
		resolved := filepath.Join(filepath.Dir(name), string(target))
		if filepath.IsAbs(string(target)) || !filepath.IsLocal(resolved) {
			return 0, fmt.Errorf("file %s: symbolic link to %s points outside the repository", f.Name, target)
		}
		return int64(len(target)), root.Symlink(string(target), name)
	}
	perm := os.FileMode(0o644)
	if f.Mode == filemode.Executable {
		perm = 0o755
	}
	out, err := root.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_EXCL, perm)
	if err != nil {
		return 0, fmt.Errorf("file %s: %w", f.Name, err)
	}
	n, err := io.Copy(out, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// checkLinks follows each link of the written tree, every link along its
// target included, and refuses one that leads out of the tree: a target
// that stays inside lexically can still leave it through another link
// (sub/up -> .., sub/x -> up/..). A link whose target does not exist is
// left as it is; the tree is read-only, so it never will.
func checkLinks(root *os.Root, links []string) error {
	for _, name := range links {
		_, err := root.Stat(filepath.FromSlash(name))
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			continue
		}
		target, _ := root.Readlink(filepath.FromSlash(name))
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Err.Error() == "path escapes from parent" {
			return fmt.Errorf("file %s: symbolic link to %s leads outside the repository through another link", name, target)
		}
		return fmt.Errorf("file %s: symbolic link to %s: %w", name, target, err)
	}
	return nil
}

// makeReadOnly removes the write bits under root, so that a consumer cannot
// change a tree shared with others.
func makeReadOnly(root string) error {
	return filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.Type()&os.ModeSymlink != 0 {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.Chmod(p, info.Mode().Perm()&^0o222)
	})
}

// removeAll deletes a tree made read-only by makeReadOnly.
func removeAll(root string) error {
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o755)
		}
		return nil
	})
	return os.RemoveAll(root)
}

// pathHash returns the object hash of p in the tree of sha. It walks the
// path one directory at a time through decodedTree, so that asking for the
// directories of many Applications in one repository decodes each tree
// once per commit, not once per Application.
func (lr *localRepo) pathHash(sha, p string) (plumbing.Hash, error) {
	tree, err := lr.tree(sha)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	p = strings.Trim(path.Clean("/"+filepath.ToSlash(p)), "/")
	if p == "" {
		return tree.Hash, nil
	}
	parts := strings.Split(p, "/")
	for i, part := range parts {
		entry, err := tree.FindEntry(part)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("%s: %w", p, ErrPathNotFound)
		}
		if i == len(parts)-1 {
			if entry.Mode == filemode.Symlink {
				return plumbing.ZeroHash, fmt.Errorf("%s: %w", p, ErrPathIsLink)
			}
			return entry.Hash, nil
		}
		if entry.Mode != filemode.Dir {
			return plumbing.ZeroHash, fmt.Errorf("%s: %w", p, ErrPathNotFound)
		}
		if tree, err = lr.decodedTree(entry.Hash); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("%s: %w", p, err)
		}
	}
	return plumbing.ZeroHash, fmt.Errorf("%s: %w", p, ErrPathNotFound)
}
