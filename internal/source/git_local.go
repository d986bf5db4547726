package source

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// allowed refuses a repository on the controller's own disk, a file:// URL
// or a local path, unless the operator enabled them: any tenant who may
// write an Application could otherwise read any repository the controller
// can see, its own cache included.
func (g *Git) allowed(repo Repository) error {
	if g.opts.AllowFileRepositories || !isLocalRepository(repo.URL) {
		return nil
	}
	return &GitError{URL: RedactURL(repo.URL), Kind: ErrFileRepositoryRefused}
}

// isLocalRepository reports whether go-git would read the repository from
// the local disk: a file:// URL, or anything it takes for a path ("repo",
// "./repo", "/srv/repo").
func isLocalRepository(raw string) bool {
	if isFileURL(raw) {
		return true
	}
	ep, err := transport.NewEndpoint(dialURL(raw))
	return err == nil && ep.Protocol == "file"
}

// fileRefusedHint says how an operator enables file:// repositories.
var fileRefusedHint = fmt.Sprintf("file:// and local-path repositories are refused; to allow them start capstan with --%s, or set %s: \"true\" in argocd-cm", FlagAllowFileRepositories, SettingAllowFileRepositories)

// SettingAllowFileRepositories is the argocd-cm key that enables file://
// repositories, as the flag does.
const SettingAllowFileRepositories = "capstan.allowFileRepositories"

// localLoader opens the repository of a file:// endpoint for go-git's
// in-process server: a bare repository, or the .git directory of a work tree.
type localLoader struct{}

func (localLoader) Load(ep *transport.Endpoint) (storer.Storer, error) {
	dir := filepath.Clean(ep.Path)
	if fi, err := os.Stat(filepath.Join(dir, ".git")); err == nil && fi.IsDir() {
		dir = filepath.Join(dir, ".git")
	}
	if _, err := os.Stat(filepath.Join(dir, "objects")); err != nil {
		return nil, transport.ErrRepositoryNotFound
	}
	return filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRU(objectCacheBytes)), nil
}

// listLocal lists the refs of a file:// repository straight from its storage,
// peeling annotated tags, which go-git's in-process server does not
// advertise peeled.
func listLocal(repoURL string) ([]*plumbing.Reference, error) {
	ep, err := transport.NewEndpoint(dialURL(repoURL))
	if err != nil {
		return nil, err
	}
	st, err := localLoader{}.Load(ep)
	if err != nil {
		return nil, err
	}
	iter, err := st.IterReferences()
	if err != nil {
		return nil, err
	}
	var refs []*plumbing.Reference
	err = iter.ForEach(func(r *plumbing.Reference) error {
		refs = append(refs, r)
		if r.Type() != plumbing.HashReference || !r.Name().IsTag() {
			return nil
		}
		if tag, err := object.GetTag(st, r.Hash()); err == nil {
			if c, err := tag.Commit(); err == nil {
				refs = append(refs, plumbing.NewHashReference(plumbing.ReferenceName(r.Name().String()+"^{}"), c.Hash))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if head, err := st.Reference(plumbing.HEAD); err == nil {
		refs = append(refs, head)
	}
	return refs, nil
}
