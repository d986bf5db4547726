package source

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/go-logr/logr"
)

// lsRemoteTimeout bounds one ref listing shared by several callers, whose own
// contexts cannot cancel it.
const lsRemoteTimeout = 2 * time.Minute

// failureTTL is how long a failed ls-remote is answered from memory.
const failureTTL = 10 * time.Second

// Resolve turns a revision into a commit SHA: a branch, a tag (annotated tags
// give their commit), a full or short commit SHA, HEAD or "" (the remote's
// default branch), or a full ref name. The ref list comes from one ls-remote
// per repository per poll interval, shared by all callers. A full SHA is
// returned as is, without asking the server; a short one is looked up among
// the ref tips, then among the fetched objects.
func (g *Git) Resolve(ctx context.Context, repo Repository, revision string) (string, error) {
	repo = trusted(repo, current(g.opts.Trust))
	if err := g.allowed(repo); err != nil {
		return "", err
	}
	if len(revision) == 40 && isHex(revision) {
		// A pinned commit needs no ref list; Checkout reports it if missing.
		return strings.ToLower(revision), nil
	}
	refs, err := g.lsRemote(ctx, repo)
	if err != nil {
		return "", gitError(repo, revision, err)
	}
	if sha, ok := refs.lookup(revision); ok {
		return sha, nil
	}
	if !isHex(revision) {
		return "", notFound(repo, revision)
	}
	if sha, ok := refs.byPrefix(revision); ok {
		return sha, nil
	}
	return g.resolveShort(ctx, repo, revision)
}

// lsRemote returns the ref list of repo, from the cache while it is younger
// than the poll interval. Concurrent callers with the same identity share one
// request; an answer, or a failure, is never given to another identity.
func (g *Git) lsRemote(ctx context.Context, repo Repository) (refList, error) {
	key := g.keyOf(repo)
	if l, ok := g.cachedRefs(key); ok {
		return l, l.err
	}
	ch := g.lsGroup.DoChan(key.name(), func() (any, error) {
		if l, ok := g.cachedRefs(key); ok {
			return l, l.err
		}
		// The request outlives a caller that gives up: others may wait on it.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lsRemoteTimeout)
		defer cancel()
		l, err := g.listRefs(lctx, repo)
		if err != nil {
			// Every Application of a down server would otherwise retry at
			// once; remember the failure for a short while.
			if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				g.mu.Lock()
				g.refs[key] = refList{at: g.opts.Clock.Now(), err: err}
				g.mu.Unlock()
			}
			return refList{}, err
		}
		g.mu.Lock()
		g.refs[key] = l
		g.mu.Unlock()
		return l, nil
	})
	select {
	case <-ctx.Done():
		return refList{}, ctx.Err()
	case res := <-ch:
		if res.Err != nil {
			return refList{}, res.Err
		}
		return res.Val.(refList), nil
	}
}

func (g *Git) cachedRefs(key gitKey) (refList, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	l, ok := g.refs[key]
	ttl := g.opts.PollInterval
	if l.err != nil {
		ttl = min(ttl, failureTTL)
	}
	if !ok || g.opts.Clock.Since(l.at) >= ttl {
		return refList{}, false
	}
	return l, true
}

// listRefs sends one ls-remote to the server.
func (g *Git) listRefs(ctx context.Context, repo Repository) (refList, error) {
	a, err := g.access(ctx, repo)
	if err != nil {
		return refList{}, err
	}
	g.count(NormalizeURL(repo.URL), func(s *GitStats) { s.LsRemote++ })
	defer g.observe(repo, requestLsRemote, g.opts.Clock.Now())
	logr.FromContextOrDiscard(ctx).V(1).Info("listing refs", "repository", RedactURL(repo.URL))
	if isFileURL(repo.URL) {
		refs, err := listLocal(repo.URL)
		if err != nil {
			return refList{}, err
		}
		return newRefList(refs, g.opts.Clock.Now()), nil
	}
	remote := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{a.url}})
	refs, err := remote.ListContext(ctx, &git.ListOptions{
		Auth:            a.auth,
		InsecureSkipTLS: a.insecure,
		CABundle:        a.caBundle,
		ClientCert:      a.clientCert,
		ClientKey:       a.clientKey,
		ProxyOptions:    a.proxy,
		PeelingOption:   git.AppendPeeled,
	})
	if err != nil {
		return refList{}, err
	}
	return newRefList(refs, g.opts.Clock.Now()), nil
}

// resolveShort finds the commit a short SHA names among the fetched objects,
// fetching every branch and tag with full history first if it is not there.
func (g *Git) resolveShort(ctx context.Context, repo Repository, short string) (string, error) {
	lr, err := g.local(repo)
	if err != nil {
		return "", gitError(repo, short, err)
	}
	lr.mu.Lock()
	defer lr.unlock()
	if sha, ok := lr.commitByPrefix(short); ok {
		return sha, nil
	}
	if err := g.fetchAll(ctx, repo, lr); err != nil {
		return "", gitError(repo, short, err)
	}
	if sha, ok := lr.commitByPrefix(short); ok {
		return sha, nil
	}
	return "", notFound(repo, short)
}

// commitByPrefix resolves a short SHA against the local objects.
func (lr *localRepo) commitByPrefix(short string) (string, bool) {
	h, err := lr.repo.ResolveRevision(plumbing.Revision(strings.ToLower(short)))
	if err != nil || h == nil {
		return "", false
	}
	if _, err := lr.repo.CommitObject(*h); err != nil {
		return "", false
	}
	return h.String(), true
}
