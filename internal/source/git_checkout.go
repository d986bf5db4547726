package source

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
)

// Checkout returns a read-only directory holding the tree of commit sha. The
// commit is fetched only when the cache does not have it, and concurrent
// requests for the same commit share one fetch. The directory stays valid
// until the cache evicts it to make room, which it never does during the
// call that returned it.
func (g *Git) Checkout(ctx context.Context, repo Repository, sha string) (string, error) {
	sha = strings.ToLower(sha)
	repo = trusted(repo, current(g.opts.Trust))
	if err := g.allowed(repo); err != nil {
		return "", err
	}
	if !isHex(sha) || len(sha) != 40 {
		return "", gitError(repo, sha, fmt.Errorf("checkout needs a full commit SHA"))
	}
	key := g.keyOf(repo).name() + "-" + sha
	if dir, ok := g.trees.get(key); ok {
		return dir, nil
	}
	ch := g.fetchGroup.DoChan(key, func() (any, error) {
		if dir, ok := g.trees.get(key); ok {
			return dir, nil
		}
		return g.checkout(context.WithoutCancel(ctx), repo, sha, key)
	})
	select {
	case <-ctx.Done():
		return "", gitError(repo, sha, ctx.Err())
	case res := <-ch:
		if res.Err != nil {
			return "", res.Err
		}
		return res.Val.(string), nil
	}
}

func (g *Git) checkout(ctx context.Context, repo Repository, sha, key string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	lr, err := g.local(repo)
	if err != nil {
		return "", gitError(repo, sha, err)
	}
	lr.mu.Lock()
	defer lr.unlock()
	if err := g.ensureCommit(ctx, repo, lr, sha); err != nil {
		return "", gitError(repo, sha, err)
	}
	tmp, size, err := g.extractFromLast(lr, sha)
	if err != nil {
		return "", gitError(repo, sha, err)
	}
	dir, err := g.trees.add(key, tmp, size)
	if err != nil {
		return "", gitError(repo, sha, err)
	}
	lr.lastTree = key
	return dir, nil
}

// extractFromLast writes the tree of sha starting from the last tree of
// the repository checked out, when the cache still holds it (derive), and
// whole otherwise. lr.mu must be held.
func (g *Git) extractFromLast(lr *localRepo, sha string) (string, int64, error) {
	if lr.lastTree != "" {
		if baseDir, ok := g.trees.pin(lr.lastTree); ok {
			defer g.trees.unpin(lr.lastTree)
			baseSHA := lr.lastTree[strings.LastIndex(lr.lastTree, "-")+1:]
			if tmp, size, err := g.derive(lr, baseSHA, baseDir, sha); err == nil {
				return tmp, size, nil
			}
		}
	}
	return g.extract(lr, sha)
}

// TreeHash returns the Git object hash of path at commit sha: the tree hash
// for a directory ("" or "." for the root), the blob hash for a file. It
// changes exactly when the content under path changes, so it keys render
// caches.
func (g *Git) TreeHash(ctx context.Context, repo Repository, sha, path string) (string, error) {
	sha = strings.ToLower(sha)
	repo = trusted(repo, current(g.opts.Trust))
	if err := g.allowed(repo); err != nil {
		return "", err
	}
	// The memo holds a hash for each Application's path: it keeps them
	// as digests and binary hashes, a sixth of their size as strings.
	memoKey := sha256.Sum256([]byte(g.keyOf(repo).name() + "\x00" + sha + "\x00" + path))
	if h, ok := g.treeHashes.Get(memoKey); ok {
		return h.String(), nil
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	lr, err := g.local(repo)
	if err != nil {
		return "", gitError(repo, sha, err)
	}
	lr.mu.Lock()
	defer lr.unlock()
	if err := g.ensureCommit(ctx, repo, lr, sha); err != nil {
		return "", gitError(repo, sha, err)
	}
	h, err := lr.pathHash(sha, path)
	if err != nil {
		return "", gitError(repo, sha, err)
	}
	g.treeHashes.Put(memoKey, h)
	return h.String(), nil
}
