package render

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// kustomizeFS is the file system kustomize sees: the repository on disk,
// read only, nothing outside the repository root, no remote resources,
// and edited kustomizations in place of the files. It records every file
// kustomize reads.
type kustomizeFS struct {
	filesys.FileSystem
	root repoRoot
	// overlay holds edited file contents by resolved absolute path.
	overlay map[string][]byte
	read    []string
	seen    map[string]bool
	// refused is the first access refused: kustomize may report a failed
	// read only as a missing file, so the build error is explained by it.
	refused error
}

func newKustomizeFS(root repoRoot) *kustomizeFS {
	return &kustomizeFS{
		FileSystem: filesys.MakeFsOnDisk(),
		root:       root,
		overlay:    map[string][]byte{},
		seen:       map[string]bool{},
	}
}

var errReadOnly = errors.New("the repository is read-only while rendering")

func (f *kustomizeFS) Create(string) (filesys.File, error) { return nil, errReadOnly }
func (f *kustomizeFS) Mkdir(string) error                  { return errReadOnly }
func (f *kustomizeFS) MkdirAll(string) error               { return errReadOnly }
func (f *kustomizeFS) RemoveAll(string) error              { return errReadOnly }
func (f *kustomizeFS) WriteFile(string, []byte) error      { return errReadOnly }

// CleanedAbs refuses directories outside the repository, so that a
// resource or base like ../../../etc fails to load.
func (f *kustomizeFS) CleanedAbs(path string) (filesys.ConfirmedDir, string, error) {
	dir, file, err := f.FileSystem.CleanedAbs(path)
	if err != nil {
		return dir, file, err
	}
	if !inside(f.root.resolved, string(dir)) {
		return "", "", f.refuse(fmt.Errorf("%s %w", f.root.rel(path), errEscapes))
	}
	return dir, file, nil
}

func (f *kustomizeFS) Open(path string) (filesys.File, error) {
	if _, err := f.check(path); err != nil {
		return nil, err
	}
	return f.FileSystem.Open(path)
}

func (f *kustomizeFS) ReadFile(path string) ([]byte, error) {
	real, err := f.check(path)
	if err != nil {
		return nil, err
	}
	data, ok := f.overlay[real]
	if !ok {
		if data, err = f.FileSystem.ReadFile(path); err != nil {
			return nil, err
		}
	}
	if slices.Contains(kustomizationFiles, filepath.Base(real)) {
		if err := refuseRemote(f.root.rel(f.display(real)), data); err != nil {
			return nil, f.refuse(err)
		}
	}
	return data, nil
}

func (f *kustomizeFS) refuse(err error) error {
	if f.refused == nil {
		f.refused = err
	}
	return err
}

// check resolves path, refuses it outside the repository, and records it.
func (f *kustomizeFS) check(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", err
	}
	if !inside(f.root.resolved, real) {
		return "", f.refuse(fmt.Errorf("%s %w", f.root.rel(path), errEscapes))
	}
	if !f.seen[real] {
		f.seen[real] = true
		f.read = append(f.read, f.display(real))
	}
	return real, nil
}

// display names a resolved path under the root as the caller gave it.
func (f *kustomizeFS) display(real string) string {
	rel, err := filepath.Rel(f.root.resolved, real)
	if err != nil {
		return real
	}
	return filepath.Join(f.root.path, rel)
}

// refuseRemote fails on a kustomization that refers to a remote base,
// component or file, or inflates Helm charts: kustomize would fetch those
// itself, running git, helm or an HTTP client outside capstan's control of
// credentials and caching.
func refuseRemote(name string, data []byte) error {
	var k types.Kustomization
	if k.Unmarshal(data) != nil {
		// kustomize reports a malformed kustomization itself.
		return nil
	}
	if len(k.HelmCharts) > 0 || len(k.HelmChartInflationGenerator) > 0 {
		return fmt.Errorf("%s: helmCharts are not supported: kustomize would run the helm program; render the chart with a Helm source", name)
	}
	lists := [][]string{k.Resources, k.Bases, k.Components, k.Crds, k.Configurations, k.Generators, k.Transformers, k.Validators}
	for _, list := range lists {
		for _, ref := range list {
			if isRemoteRef(ref) {
				return fmt.Errorf("%s: remote reference %q is not supported: render fetches nothing itself; vendor it into the repository", name, ref)
			}
		}
	}
	return nil
}

// isRemoteRef tells the references kustomize would fetch over the network
// from paths in the repository.
func isRemoteRef(ref string) bool {
	if strings.Contains(ref, "\n") {
		return false // an inline generator or transformer
	}
	for _, p := range []string{"git@", "github.com/", "gitlab.com/", "bitbucket.org/", "ssh:", "git::"} {
		if strings.HasPrefix(ref, p) {
			return true
		}
	}
	for _, s := range []string{"://", "?ref=", "?version=", "?submodules=", "?timeout=", "_git/", ".git/", ".git?"} {
		if strings.Contains(ref, s) {
			return true
		}
	}
	return strings.HasSuffix(ref, ".git")
}
