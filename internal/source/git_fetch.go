package source

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-logr/logr"
)

// localRepo is the on-disk bare repository holding the objects fetched from
// one remote by one identity. mu serialises fetches and reads of its storage
// and the fields below it.
type localRepo struct {
	mu   sync.Mutex
	repo *git.Repository
	dir  string
	url  string // redacted, for the remote's configuration

	// complete holds commits whose whole tree is known to be stored, and
	// base is the last of them: a commit fetched since is checked against
	// it (see verify).
	complete map[string]bool
	base     string
	// lastTree is the tree cache's key of the last commit checked out, which
	// the next checkout starts from (see derive).
	lastTree string
	// decoded keeps decoded tree objects by hash (see decodedTree), with
	// the number of their entries.
	decoded        map[plumbing.Hash]*object.Tree
	decodedEntries int
	// roots keeps the root tree of each commit read (see tree), bounded
	// by maxComplete as complete is.
	roots map[plumbing.Hash]plumbing.Hash
}

// maxComplete bounds localRepo.complete; past it the set starts afresh and
// commits are verified again when next used.
const maxComplete = 10_000

// objectCacheBytes bounds the decoded objects kept in memory per repository;
// go-git's default (96 MiB each) would dwarf capstan's memory budget.
const objectCacheBytes = 4 * cache.MiByte

// openPacks is how many pack files a local repository keeps open while one
// operation holds its lock. go-git otherwise opens a pack for each object
// it reads from it, cached or not: each directory of the path checked for
// links (go-billy's chroot), the file opened and closed, and a 4 KiB read
// buffer each time, some 16 % of what the controller allocated in a W2 cold
// sync (docs/performance.md). Past openPacks, the pack opened first is
// closed. unlock closes them all: an open pack keeps, besides its file,
// the type of every object read from it, which over a large repository's
// checkouts would only grow.
const openPacks = 8

// repoFilesystem is where a local repository's storage reads and writes
// its files; tests count the packs opened through it.
var repoFilesystem = func(dir string) billy.Filesystem { return osfs.New(dir) }

// local opens, or creates, the local repository of repo's URL and identity.
func (g *Git) local(repo Repository) (*localRepo, error) {
	key := g.keyOf(repo)
	g.mu.Lock()
	defer g.mu.Unlock()
	if lr, ok := g.repos[key]; ok {
		return lr, nil
	}
	lr := &localRepo{dir: filepath.Join(g.opts.CacheDir, "repos", key.name()), url: RedactURL(repo.URL)}
	if err := lr.open(); err != nil {
		return nil, err
	}
	g.repos[key] = lr
	return lr, nil
}

// open opens the repository on disk, or creates it, and forgets what was
// known of its commits.
func (lr *localRepo) open() error {
	st := filesystem.NewStorageWithOptions(repoFilesystem(lr.dir), cache.NewObjectLRU(objectCacheBytes),
		filesystem.Options{MaxOpenDescriptors: openPacks})
	r, err := git.Open(st, nil)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		r, err = git.Init(st, nil)
		if err == nil {
			_, err = r.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{lr.url}})
		}
	}
	if err != nil {
		_ = st.Close()
		return fmt.Errorf("open local repository: %w", err)
	}
	lr.repo, lr.complete, lr.base = r, map[string]bool{}, ""
	lr.decoded, lr.decodedEntries, lr.roots = nil, 0, nil
	return nil
}

// reset deletes the repository's objects and starts an empty one: what an
// incremental fetch left incomplete is fetched again whole.
func (lr *localRepo) reset() error {
	lr.complete, lr.base = map[string]bool{}, ""
	// Nothing known of the deleted objects may answer for them, should
	// the repository fail to open again.
	lr.decoded, lr.decodedEntries, lr.roots = nil, 0, nil
	lr.closePacks() // they are about to be deleted
	if err := os.RemoveAll(lr.dir); err != nil {
		return fmt.Errorf("reset local repository: %w", err)
	}
	return lr.open()
}

// closePacks closes the pack files the storage holds open (up to
// openPacks, while an operation holds mu); the next read opens what it
// needs again.
func (lr *localRepo) closePacks() {
	if st, ok := lr.repo.Storer.(*filesystem.Storage); ok {
		_ = st.Close()
	}
}

// unlock ends an operation on the repository: it closes the packs the
// operation opened, and releases the lock.
func (lr *localRepo) unlock() {
	lr.closePacks()
	lr.mu.Unlock()
}

// markComplete records that the whole tree of sha is stored.
func (lr *localRepo) markComplete(sha string) {
	if len(lr.complete) >= maxComplete {
		lr.complete = map[string]bool{}
	}
	lr.complete[sha] = true
	lr.base = sha
}

// hasCommit reports whether the commit and its root tree are stored.
func (lr *localRepo) hasCommit(sha string) bool {
	_, err := lr.tree(sha)
	return err == nil
}

// ensureCommit makes sure the whole tree of sha is stored, fetching what
// is missing. lr.mu must be held.
//
// Once a commit of the repository is stored whole, a branch or tag the
// local repository already follows, and which moved, is fetched without
// a depth: the server sends only the objects the local commits lack,
// where a shallow fetch sends the commit's whole tree again (see
// BenchmarkGitPush). Otherwise, or if that fetch fails, the commit is
// fetched shallow (fetchVerified). A fetch without a depth tells the
// server of no shallow boundary, so it may leave out objects it believes
// the local history holds (a file restored to an older content): every
// fetched commit is verified before it is trusted, and on a gap the local
// repository is fetched again from nothing.
func (g *Git) ensureCommit(ctx context.Context, repo Repository, lr *localRepo, sha string) error {
	if lr.complete[sha] {
		return nil
	}
	if lr.hasCommit(sha) {
		if lr.verify(sha) == nil {
			lr.markComplete(sha)
			return nil
		}
		if err := lr.reset(); err != nil {
			return err
		}
	}
	refs, err := g.lsRemote(ctx, repo)
	if err != nil {
		return err
	}
	names := refs.namesOf(sha)
	log := logr.FromContextOrDiscard(ctx)
	if len(names) > 0 && lr.base != "" && lr.hasRef(localRef(names[0])) {
		spec := config.RefSpec(fmt.Sprintf("+%s:%s", names[0], localRef(names[0])))
		err := g.fetch(ctx, repo, lr, []config.RefSpec{spec}, 0)
		switch {
		case err != nil:
			log.Info("an incremental fetch failed; fetching the commit shallow", "repository", RedactURL(repo.URL), "commit", sha, "error", err.Error())
		case !lr.hasCommit(sha):
			// The ref moved on since it was listed: fetch sha itself.
		case lr.verify(sha) == nil:
			lr.markComplete(sha)
			return nil
		default:
			log.Info("an incremental fetch left the commit incomplete; fetching the repository again",
				"repository", RedactURL(repo.URL), "commit", sha)
			if err := lr.reset(); err != nil {
				return err
			}
		}
	}
	return g.fetchVerified(ctx, repo, lr, sha, names)
}

// fetchVerified fetches sha shallow and verifies it. The local commits the
// fetch tells the server of may lack objects (a fetch without a depth
// that moved a ref past what was verified, a crash before a gap was
// mended): on a gap the local repository is fetched again from nothing,
// once.
func (g *Git) fetchVerified(ctx context.Context, repo Repository, lr *localRepo, sha string, names []string) error {
	for again := false; ; again = true {
		if err := g.fetchShallow(ctx, repo, lr, sha, names); err != nil {
			return err
		}
		err := lr.verify(sha)
		if err == nil {
			lr.markComplete(sha)
			return nil
		}
		if again {
			return fmt.Errorf("commit %s is incomplete after a fetch into an empty repository: %w", sha, err)
		}
		logr.FromContextOrDiscard(ctx).Info("a fetched commit is incomplete; fetching the repository again",
			"repository", RedactURL(repo.URL), "commit", sha, "error", err.Error())
		if err := lr.reset(); err != nil {
			return err
		}
	}
}

// hasRef reports whether the local repository has the reference name.
func (lr *localRepo) hasRef(name string) bool {
	_, err := lr.repo.Reference(plumbing.ReferenceName(name), true)
	return err == nil
}

// fetchShallow fetches sha with no history: through names, the refs
// pointing at it, else by its SHA, else by fetching every branch and tag.
func (g *Git) fetchShallow(ctx context.Context, repo Repository, lr *localRepo, sha string, names []string) error {
	if len(names) > 0 {
		spec := config.RefSpec(fmt.Sprintf("+%s:%s", names[0], localRef(names[0])))
		if err := g.fetch(ctx, repo, lr, []config.RefSpec{spec}, 1); err != nil {
			return err
		}
		if lr.hasCommit(sha) {
			return nil
		}
	}
	spec := config.RefSpec(fmt.Sprintf("%s:refs/capstan/commits/%s", sha, sha))
	err := g.fetch(ctx, repo, lr, []config.RefSpec{spec}, 1)
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

// verify checks that every object of sha's tree is stored. Against
// lr.base, a commit whose whole tree is stored, it reads only the
// subtrees that differ and checks the files that changed; without one it
// walks the whole tree.
func (lr *localRepo) verify(sha string) error {
	tree, err := lr.tree(sha)
	if err != nil {
		return err
	}
	if lr.base == "" || lr.base == sha {
		return lr.walkStored(tree)
	}
	baseTree, err := lr.tree(lr.base)
	if err != nil {
		return lr.walkStored(tree)
	}
	changes, err := lr.diffTrees(baseTree, tree)
	if err != nil {
		return err
	}
	for _, c := range changes {
		if c.To.Name == "" || c.To.Mode == filemode.Submodule {
			continue
		}
		if err := lr.repo.Storer.HasEncodedObject(c.To.Hash); err != nil {
			return fmt.Errorf("%s: %w", c.To.Name, err)
		}
	}
	return nil
}

// walkStored checks that every tree and file under t is stored.
func (lr *localRepo) walkStored(t *object.Tree) error {
	for _, e := range t.Entries {
		switch e.Mode {
		case filemode.Submodule:
		case filemode.Dir:
			sub, err := lr.decodedTree(e.Hash)
			if err != nil {
				return fmt.Errorf("%s: %w", e.Name, err)
			}
			if err := lr.walkStored(sub); err != nil {
				return fmt.Errorf("%s/%w", e.Name, err)
			}
		default:
			if err := lr.repo.Storer.HasEncodedObject(e.Hash); err != nil {
				return fmt.Errorf("%s: %w", e.Name, err)
			}
		}
	}
	return nil
}

// tree returns the root tree of commit sha. Each pass of each Application
// asks for it: the commit's root is read once and kept.
func (lr *localRepo) tree(sha string) (*object.Tree, error) {
	h := plumbing.NewHash(sha)
	root, ok := lr.roots[h]
	if !ok {
		c, err := lr.repo.CommitObject(h)
		if err != nil {
			return nil, err
		}
		if lr.roots == nil || len(lr.roots) >= maxComplete {
			lr.roots = map[plumbing.Hash]plumbing.Hash{}
		}
		root = c.TreeHash
		lr.roots[h] = root
	}
	return lr.decodedTree(root)
}

// maxDecodedEntries bounds the entries of the trees localRepo.decoded
// keeps (some 70 bytes each); past it the cache starts afresh.
const maxDecodedEntries = 50_000

// decodedTree returns the tree object h, decoded once and kept: trees are
// immutable, and a directory holding 10,000 others took a millisecond and
// most of a megabyte of garbage to decode for each Application that
// looked up its path under it.
func (lr *localRepo) decodedTree(h plumbing.Hash) (*object.Tree, error) {
	if t, ok := lr.decoded[h]; ok {
		return t, nil
	}
	t, err := lr.repo.TreeObject(h)
	if err != nil {
		return nil, err
	}
	if lr.decodedEntries+len(t.Entries) > maxDecodedEntries {
		lr.decoded, lr.decodedEntries = nil, 0
	}
	if lr.decoded == nil {
		lr.decoded = map[plumbing.Hash]*object.Tree{}
	}
	lr.decoded[h] = t
	lr.decodedEntries += len(t.Entries)
	return t, nil
}
