package source

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// CommitInfo is what a commit says of itself, for the API's revision metadata.
type CommitInfo struct {
	SHA string
	// Author is "Name <email>".
	Author  string
	Date    time.Time
	Message string
	// Tags are the names of the tags that point at the commit.
	Tags []string
	// Signed is true when the commit carries a PGP signature (which
	// capstan does not verify).
	Signed bool
}

// CommitOf resolves revision and reads its commit, fetching it when the
// cache does not hold it.
func (g *Git) CommitOf(ctx context.Context, repo Repository, revision string) (CommitInfo, error) {
	sha, err := g.Resolve(ctx, repo, revision)
	if err != nil {
		return CommitInfo{}, err
	}
	repo = trusted(repo, current(g.opts.Trust))
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	lr, err := g.local(repo)
	if err != nil {
		return CommitInfo{}, gitError(repo, sha, err)
	}
	lr.mu.Lock()
	defer lr.unlock()
	if err := g.ensureCommit(ctx, repo, lr, sha); err != nil {
		return CommitInfo{}, gitError(repo, sha, err)
	}
	c, err := lr.repo.CommitObject(plumbing.NewHash(sha))
	if err != nil {
		return CommitInfo{}, gitError(repo, sha, fmt.Errorf("read commit: %w", err))
	}
	out := CommitInfo{
		SHA:     sha,
		Author:  fmt.Sprintf("%s <%s>", c.Author.Name, c.Author.Email),
		Date:    c.Author.When.UTC(),
		Message: c.Message,
		Signed:  c.PGPSignature != "",
	}
	if refs, err := g.lsRemote(ctx, repo); err == nil {
		for _, name := range refs.namesOf(sha) {
			if tag, ok := strings.CutPrefix(name, "refs/tags/"); ok {
				out.Tags = append(out.Tags, tag)
			}
		}
		sort.Strings(out.Tags)
	}
	return out, nil
}

// Ping lists the refs of repo afresh, not from the shared cache: whether
// the repository answers, with these credentials, now.
func (g *Git) Ping(ctx context.Context, repo Repository) error {
	repo = trusted(repo, current(g.opts.Trust))
	if err := g.allowed(repo); err != nil {
		return err
	}
	if _, err := g.listRefs(ctx, repo); err != nil {
		return gitError(repo, "", err)
	}
	return nil
}
