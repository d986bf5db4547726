package source

import (
	"context"
	"errors"
	"fmt"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Fetcher checks out any source of an Application: a Git repository at a
// revision, or a chart from a Helm repository or OCI registry at a version
// or version range.
type Fetcher struct {
	Git    *Git
	Charts *Charts
}

// Fetched is a checked-out source.
type Fetched struct {
	// Root is the read-only directory of the tree: the repository's root for
	// Git, the chart's directory for a chart.
	Root string
	// Revision is what the source resolved to: a commit SHA, or a chart
	// version.
	Revision string
	// PathHash is the Git object hash of the source's path at Revision
	// (see Git.TreeHash); empty for a chart, for a path the commit does
	// not have, and for a path that is a symbolic link.
	PathHash string
}

// IsChart reports whether src names a chart of a Helm repository or OCI
// registry rather than a path in a Git repository.
func IsChart(src v1alpha1.ApplicationSource) bool { return src.Chart != "" }

// Fetch resolves src's targetRevision and checks the tree out. repo carries
// the credentials for src.RepoURL.
func (f *Fetcher) Fetch(ctx context.Context, repo Repository, src v1alpha1.ApplicationSource) (Fetched, error) {
	if IsChart(src) {
		if repo.Type == "" || repo.Type == "git" {
			repo.Type = "helm"
		}
		version, err := f.Charts.Resolve(ctx, repo, src.Chart, src.TargetRevision)
		if err != nil {
			return Fetched{}, err
		}
		dir, err := f.Charts.Pull(ctx, repo, src.Chart, version)
		if err != nil {
			return Fetched{}, err
		}
		return Fetched{Root: dir, Revision: version}, nil
	}
	sha, err := f.Git.Resolve(ctx, repo, src.TargetRevision)
	if err != nil {
		return Fetched{}, err
	}
	dir, err := f.Git.Checkout(ctx, repo, sha)
	if err != nil {
		return Fetched{}, fmt.Errorf("check out %s at %s: %w", RedactURL(src.RepoURL), sha, err)
	}
	// The commit is in the store now; a path it does not have is the
	// render's to report. A path that is a link gets no hash: the render
	// reads what it leads to, which the link's own hash does not cover.
	hash, err := f.Git.TreeHash(ctx, repo, sha, src.Path)
	if err != nil && !errors.Is(err, ErrPathNotFound) && !errors.Is(err, ErrPathIsLink) {
		return Fetched{}, fmt.Errorf("read %s at %s: %w", RedactURL(src.RepoURL), sha, err)
	}
	return Fetched{Root: dir, Revision: sha, PathHash: hash}, nil
}
