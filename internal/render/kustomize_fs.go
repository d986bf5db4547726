package render

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// kustomizeFS is the file system kustomize sees: the repository's tree,
// read only, every read through its root so that nothing outside the
// repository is reached (not even through a link), kustomizations and the
// configurations of kustomize's built-in generators and transformers
// refused when they name anything remote, and edited kustomizations in
// place of the files. It records every file kustomize reads.
type kustomizeFS struct {
	root *tree
	// overlay holds edited file contents by real name inside the root.
	overlay map[string][]byte
	read    []string
	seen    map[string]bool
	// reals remembers the real names of the paths kustomize asked for: it
	// asks for the same ones many times, and the tree does not change.
	reals map[string]string
	// refused is the first access refused: kustomize may report a failed
	// read only as a missing file, so the build error is explained by it.
	refused error
}

var _ filesys.FileSystem = (*kustomizeFS)(nil)

func newKustomizeFS(root *tree) *kustomizeFS {
	return &kustomizeFS{root: root, overlay: map[string][]byte{}, seen: map[string]bool{}, reals: map[string]string{}}
}

var errReadOnly = errors.New("the repository is read-only while rendering")

func (f *kustomizeFS) Create(string) (filesys.File, error) { return nil, errReadOnly }
func (f *kustomizeFS) Mkdir(string) error                  { return errReadOnly }
func (f *kustomizeFS) MkdirAll(string) error               { return errReadOnly }
func (f *kustomizeFS) RemoveAll(string) error              { return errReadOnly }
func (f *kustomizeFS) WriteFile(string, []byte) error      { return errReadOnly }

// CleanedAbs resolves path's links inside the repository, as kustomize's
// own file system resolves them on disk, and refuses a path that leaves
// it, so that a resource or base like ../../../etc fails to load.
func (f *kustomizeFS) CleanedAbs(path string) (filesys.ConfirmedDir, string, error) {
	real, err := f.realName(path)
	if err != nil {
		return "", "", err
	}
	abs := f.root.abs(real)
	fi, err := f.root.root.Stat(real)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", f.root.rel(abs), escaped(err))
	}
	if fi.IsDir() {
		return filesys.ConfirmedDir(abs), "", nil
	}
	return filesys.ConfirmedDir(filepath.Dir(abs)), filepath.Base(abs), nil
}

func (f *kustomizeFS) Open(path string) (filesys.File, error) {
	real, err := f.realName(path)
	if err != nil {
		return nil, err
	}
	file, err := f.root.root.Open(real)
	if err != nil {
		return nil, escaped(err)
	}
	f.record(real)
	return file, nil
}

func (f *kustomizeFS) ReadFile(path string) ([]byte, error) {
	real, err := f.realName(path)
	if err != nil {
		return nil, err
	}
	data, ok := f.overlay[real]
	if !ok {
		if data, err = f.root.root.ReadFile(real); err != nil {
			return nil, escaped(err)
		}
	}
	isKustomization := slices.Contains(kustomizationFiles, filepath.Base(real))
	if err := refuseRemote(filepath.ToSlash(real), data, isKustomization); err != nil {
		return nil, f.refuse(err)
	}
	f.record(real)
	return data, nil
}

func (f *kustomizeFS) Exists(path string) bool {
	_, err := f.stat(path)
	return err == nil
}

func (f *kustomizeFS) IsDir(path string) bool {
	fi, err := f.stat(path)
	return err == nil && fi.IsDir()
}

func (f *kustomizeFS) ReadDir(path string) ([]string, error) {
	real, err := f.realName(path)
	if err != nil {
		return nil, err
	}
	entries, err := f.root.readDir(f.root.abs(real))
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, nil
}

// Glob matches pattern inside the repository only; like kustomize's own,
// it drops hidden files unless the pattern names them.
func (f *kustomizeFS) Glob(pattern string) ([]string, error) {
	name, err := f.root.name(pattern)
	if err != nil {
		return nil, f.refuse(err)
	}
	matches, err := fs.Glob(f.root.root.FS(), filepath.ToSlash(name))
	if err != nil {
		return nil, err
	}
	for i, m := range matches {
		matches[i] = f.root.abs(filepath.FromSlash(m))
	}
	if filesys.IsHiddenFilePath(pattern) {
		return matches, nil
	}
	return filesys.RemoveHiddenFiles(matches), nil
}

// Walk walks the tree under path inside the repository, without following
// links, as filepath.Walk does.
func (f *kustomizeFS) Walk(path string, walkFn filepath.WalkFunc) error {
	name, err := f.root.name(path)
	if err != nil {
		return f.refuse(err)
	}
	return fs.WalkDir(f.root.root.FS(), filepath.ToSlash(name), func(n string, d fs.DirEntry, err error) error {
		abs := f.root.abs(filepath.FromSlash(n))
		if err != nil {
			return walkFn(abs, nil, escaped(err))
		}
		fi, err := d.Info()
		return walkFn(abs, fi, err)
	})
}

func (f *kustomizeFS) stat(path string) (os.FileInfo, error) {
	real, err := f.realName(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.root.root.Stat(real)
	return fi, escaped(err)
}

func (f *kustomizeFS) refuse(err error) error {
	if f.refused == nil {
		f.refused = err
	}
	return err
}

// realName is path's real name inside the repository, refusing a path
// that leaves it.
func (f *kustomizeFS) realName(path string) (string, error) {
	if real, ok := f.reals[path]; ok {
		return real, nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	real, err := f.root.realName(abs)
	if err != nil {
		if errors.Is(err, errEscapes) {
			return "", f.refuse(fmt.Errorf("%s %w", f.root.rel(abs), errEscapes))
		}
		return "", err
	}
	f.reals[path] = real
	return real, nil
}

// record remembers a file read, by its real name.
func (f *kustomizeFS) record(real string) {
	if !f.seen[real] {
		f.seen[real] = true
		f.read = append(f.read, f.root.abs(real))
	}
}
