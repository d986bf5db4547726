package source

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-logr/logr"
)

// localRepo is the on-disk bare repository holding the objects fetched from
// one remote by one identity. mu serialises fetches and reads of its storage.
type localRepo struct {
	mu   sync.Mutex
	repo *git.Repository
}

// objectCacheBytes bounds the decoded objects kept in memory per repository;
// go-git's default (96 MiB each) would dwarf capstan's memory budget.
const objectCacheBytes = 4 * cache.MiByte

// local opens, or creates, the local repository of repo's URL and identity.
func (g *Git) local(repo Repository) (*localRepo, error) {
	key := g.keyOf(repo)
	g.mu.Lock()
	defer g.mu.Unlock()
	if lr, ok := g.repos[key]; ok {
		return lr, nil
	}
	dir := filepath.Join(g.opts.CacheDir, "repos", key.name())
	st := filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRU(objectCacheBytes))
	r, err := git.Open(st, nil)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		r, err = git.Init(st, nil)
		if err == nil {
			_, err = r.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{RedactURL(repo.URL)}})
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open local repository: %w", err)
	}
	lr := &localRepo{repo: r}
	g.repos[key] = lr
	return lr, nil
}

// hasCommit reports whether the commit and its root tree are stored.
func (lr *localRepo) hasCommit(sha string) bool {
	c, err := lr.repo.CommitObject(plumbing.NewHash(sha))
	if err != nil {
		return false
	}
	_, err = c.Tree()
	return err == nil
}

// ensureCommit fetches sha unless it is stored already. It tries, in order,
// a shallow fetch of a branch or tag pointing at it, a shallow fetch of the
// SHA itself, and a full fetch of every branch and tag. lr.mu must be held.
func (g *Git) ensureCommit(ctx context.Context, repo Repository, lr *localRepo, sha string) error {
	if lr.hasCommit(sha) {
		return nil
	}
	refs, err := g.lsRemote(ctx, repo)
	if err != nil {
		return err
	}
	if names := refs.namesOf(sha); len(names) > 0 {
		spec := config.RefSpec(fmt.Sprintf("+%s:%s", names[0], localRef(names[0])))
		if err := g.fetch(ctx, repo, lr, []config.RefSpec{spec}, 1); err != nil {
			return err
		}
		if lr.hasCommit(sha) {
			return nil
		}
	}
	spec := config.RefSpec(fmt.Sprintf("%s:refs/capstan/commits/%s", sha, sha))
	err = g.fetch(ctx, repo, lr, []config.RefSpec{spec}, 1)
	switch {
	case err == nil && lr.hasCommit(sha):
		return nil
	case err != nil && !errors.Is(err, git.ErrExactSHA1NotSupported) && !isMissingObject(err):
		return err
	}
	if err := g.fetchAll(ctx, repo, lr); err != nil {
		return err
	}
	if !lr.hasCommit(sha) {
		return ErrRevisionNotFound
	}
	return nil
}

// fetchAll fetches every branch and tag with its whole history.
func (g *Git) fetchAll(ctx context.Context, repo Repository, lr *localRepo) error {
	specs := []config.RefSpec{
		"+refs/heads/*:refs/capstan/heads/*",
		"+refs/tags/*:refs/capstan/tags/*",
	}
	// A depth this large deepens a shallow repository to its full history.
	return g.fetch(ctx, repo, lr, specs, math.MaxInt32)
}

// fetch runs one fetch into lr. "Already up to date" is success.
func (g *Git) fetch(ctx context.Context, repo Repository, lr *localRepo, specs []config.RefSpec, depth int) error {
	a, err := g.access(ctx, repo)
	if err != nil {
		return err
	}
	if isFileURL(repo.URL) {
		// go-git's in-process server has no shallow fetches; a local
		// full fetch is cheap.
		depth = 0
	}
	g.count(NormalizeURL(repo.URL), func(s *GitStats) { s.Fetch++ })
	defer g.observe(repo, requestFetch, g.opts.Clock.Now())
	logr.FromContextOrDiscard(ctx).V(1).Info("fetching", "repository", RedactURL(repo.URL), "refspecs", specs, "depth", depth)
	err = lr.repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName:      "origin",
		RemoteURL:       a.url,
		RefSpecs:        specs,
		Depth:           depth,
		Auth:            a.auth,
		Tags:            git.NoTags,
		Force:           true,
		InsecureSkipTLS: a.insecure,
		CABundle:        a.caBundle,
		ClientCert:      a.clientCert,
		ClientKey:       a.clientKey,
		ProxyOptions:    a.proxy,
	})
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	return err
}

// localRef is where a fetched remote ref is kept in the local repository.
func localRef(name string) string {
	return "refs/capstan/" + strings.TrimPrefix(name, "refs/")
}

// isMissingObject reports a server refusing to send an unadvertised object.
func isMissingObject(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "not our ref") || strings.Contains(msg, "not found") ||
		strings.Contains(msg, "unadvertised object")
}
