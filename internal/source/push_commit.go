package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/go-logr/logr"
)

// Commit is a change to commit and push to one branch of a repository.
type Commit struct {
	// Base is the branch the change starts from; empty means the
	// repository's default branch.
	Base string
	// Branch is the branch pushed; empty means Base. When it differs and
	// exists already, the change is made on top of it; otherwise it is
	// created from Base. Nothing is ever force-pushed.
	Branch string
	// Message, AuthorName and AuthorEmail describe the commit.
	Message, AuthorName, AuthorEmail string
	// Describe, when set, gives the message instead of Message, once Edit
	// has run: what the commit says may depend on what the edit did.
	Describe func() string
	// Edit reads files of the checked-out tree (paths from the
	// repository's root, slash-separated; a missing file reads as an
	// error wrapping fs.ErrNotExist) and returns the files to write. It
	// may run more than once: when the branch moved during a push, the
	// change is made again on the new tip.
	Edit func(read func(name string) ([]byte, error)) (map[string][]byte, error)
}

// ErrNothingToCommit is returned by Commit when Edit changed no file.
var ErrNothingToCommit = errors.New("nothing to commit")

// commitAttempts bounds how often a change is made again on a branch that
// moved while it was pushed.
const commitAttempts = 3

// Commit makes c on a fresh in-memory clone of repo and pushes it, and
// returns the new commit's SHA. Nothing touches the disk, and a failed push
// leaves the remote as it was. When the branch moved meanwhile, the change
// is made again on the new tip, a bounded number of times.
func (g *Git) Commit(ctx context.Context, repo Repository, c Commit) (string, error) {
	if err := g.allowed(repo); err != nil {
		return "", err
	}
	repo = trusted(repo, current(g.opts.Trust))
	var err error
	for range commitAttempts {
		var sha string
		sha, err = g.commitOnce(ctx, repo, c)
		if !errors.Is(err, git.ErrNonFastForwardUpdate) {
			return sha, err
		}
		logr.FromContextOrDiscard(ctx).V(1).Info("branch moved during push, committing again", "repository", RedactURL(repo.URL))
	}
	return "", gitError(repo, c.Branch, err)
}

func (g *Git) commitOnce(ctx context.Context, repo Repository, c Commit) (string, error) {
	a, err := g.access(ctx, repo)
	if err != nil {
		return "", gitError(repo, c.Base, err)
	}
	wfs := memfs.New()
	opts := &git.CloneOptions{
		URL: a.url, Auth: a.auth, SingleBranch: true, Tags: git.NoTags,
		InsecureSkipTLS: a.insecure, CABundle: a.caBundle, ClientCert: a.clientCert,
		ClientKey: a.clientKey, ProxyOptions: a.proxy,
	}
	if c.Base != "" {
		opts.ReferenceName = plumbing.NewBranchReferenceName(c.Base)
	}
	r, err := git.CloneContext(ctx, memory.NewStorage(), wfs, opts)
	if err != nil {
		return "", gitError(repo, c.Base, fmt.Errorf("clone: %w", err))
	}
	head, err := r.Head()
	if err != nil {
		return "", gitError(repo, c.Base, fmt.Errorf("clone: %w", err))
	}
	branch := c.Branch
	if branch == "" {
		branch = head.Name().Short()
	}
	if err := g.checkoutPushBranch(ctx, r, a, head, branch); err != nil {
		return "", gitError(repo, branch, err)
	}
	changed, err := c.write(wfs)
	if err != nil || !changed {
		if err == nil {
			err = ErrNothingToCommit
		}
		return "", err
	}
	wt, err := r.Worktree()
	if err != nil {
		return "", err
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return "", fmt.Errorf("stage changes: %w", err)
	}
	sig := &object.Signature{Name: c.AuthorName, Email: c.AuthorEmail, When: time.Now()}
	msg := c.Message
	if c.Describe != nil {
		msg = c.Describe()
	}
	sha, err := wt.Commit(msg, &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		return "", fmt.Errorf("commit: %w", err)
	}
	ref := plumbing.NewBranchReferenceName(branch)
	err = r.PushContext(ctx, &git.PushOptions{
		RemoteName: "origin", RemoteURL: a.url, Auth: a.auth,
		RefSpecs:        []config.RefSpec{config.RefSpec(ref + ":" + ref)},
		InsecureSkipTLS: a.insecure, CABundle: a.caBundle, ClientCert: a.clientCert,
		ClientKey: a.clientKey, ProxyOptions: a.proxy,
	})
	if errors.Is(err, git.ErrNonFastForwardUpdate) {
		return "", err
	}
	if err != nil {
		return "", gitError(repo, branch, fmt.Errorf("push: %w", err))
	}
	g.Invalidate(repo.URL)
	return sha.String(), nil
}

// checkoutPushBranch checks out branch: the remote's when it exists, else a
// new one at head.
func (g *Git) checkoutPushBranch(ctx context.Context, r *git.Repository, a access, head *plumbing.Reference, branch string) error {
	ref := plumbing.NewBranchReferenceName(branch)
	if head.Name() == ref {
		return nil
	}
	remote := plumbing.NewRemoteReferenceName("origin", branch)
	err := r.FetchContext(ctx, &git.FetchOptions{
		RemoteName: "origin", RemoteURL: a.url, Auth: a.auth, Tags: git.NoTags,
		RefSpecs:        []config.RefSpec{config.RefSpec("+" + ref + ":" + remote)},
		InsecureSkipTLS: a.insecure, CABundle: a.caBundle, ClientCert: a.clientCert,
		ClientKey: a.clientKey, ProxyOptions: a.proxy,
	})
	from := head.Hash()
	switch {
	case err == nil || errors.Is(err, git.NoErrAlreadyUpToDate):
		tip, rerr := r.Reference(remote, true)
		if rerr != nil {
			return fmt.Errorf("fetch branch %s: %w", branch, rerr)
		}
		from = tip.Hash()
	case isMissingObject(err) || errors.Is(err, git.NoMatchingRefSpecError{}):
		// A new branch, made from head.
	default:
		return fmt.Errorf("fetch branch %s: %w", branch, err)
	}
	wt, err := r.Worktree()
	if err != nil {
		return err
	}
	return wt.Checkout(&git.CheckoutOptions{Branch: ref, Hash: from, Create: true, Force: true})
}

// write runs Edit against the work tree and writes what it returns,
// reporting whether any file's content changed.
func (c Commit) write(wfs billy.Filesystem) (bool, error) {
	files, err := c.Edit(func(name string) ([]byte, error) {
		clean, err := treeName(name)
		if err != nil {
			return nil, err
		}
		f, err := wfs.Open(clean)
		if err != nil {
			if os.IsNotExist(err) {
				return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer f.Close()
		return io.ReadAll(f)
	})
	if err != nil {
		return false, err
	}
	changed := false
	for name, data := range files {
		clean, err := treeName(name)
		if err != nil {
			return false, err
		}
		old, rerr := readAll(wfs, clean)
		if rerr == nil && string(old) == string(data) {
			continue
		}
		if err := wfs.MkdirAll(path.Dir(clean), 0o755); err != nil {
			return false, fmt.Errorf("write %s: %w", name, err)
		}
		f, err := wfs.OpenFile(clean, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
		if err != nil {
			return false, fmt.Errorf("write %s: %w", name, err)
		}
		_, werr := f.Write(data)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return false, fmt.Errorf("write %s: %w", name, werr)
		}
		changed = true
	}
	return changed, nil
}

// treeName checks that name stays inside the repository, outside .git,
// and cleans it.
func treeName(name string) (string, error) {
	clean := path.Clean("/" + name)[1:]
	first, _, _ := strings.Cut(clean, "/")
	if clean == "" || clean != path.Clean(name) || first == ".git" {
		return "", fmt.Errorf("%s: not a file of the repository", name)
	}
	return clean, nil
}

func readAll(wfs billy.Filesystem, name string) ([]byte, error) {
	f, err := wfs.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
