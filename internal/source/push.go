package source

import (
	"path"
	"strings"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Push is a push to a repository, as a webhook reports it: the repository
// by every URL the provider gives for it, and the ref that moved.
type Push struct {
	URLs []string
	// Ref is the full ref name, e.g. refs/heads/main or refs/tags/v1.
	Ref string
	// DefaultBranch is the repository's default branch, when known.
	DefaultBranch string
	// Files are the paths the push changed, from the repository's root;
	// nil when the provider does not say.
	Files []string
}

// Touches reports whether the push changed a file under one of dirs
// (paths from the repository's root; "" or "." is the whole repository).
// When the changed files are not known, every directory is touched.
func (p Push) Touches(dirs []string) bool {
	if p.Files == nil {
		return true
	}
	for _, dir := range dirs {
		dir = strings.Trim(path.Clean("/"+dir), "/")
		for _, f := range p.Files {
			if dir == "" || f == dir || strings.HasPrefix(f, dir+"/") {
				return true
			}
		}
	}
	return false
}

// Concerns reports whether the push can change what src renders: the
// repository is the same (by normalised URL) and src follows the ref that
// moved. HEAD or an empty revision follows the default branch, or any
// branch when the default is not known. A commit SHA never moves.
func (p Push) Concerns(src v1alpha1.ApplicationSource) bool {
	if IsChart(src) || !p.names(src.RepoURL) {
		return false
	}
	rev := strings.TrimSpace(src.TargetRevision)
	branch, isBranch := strings.CutPrefix(p.Ref, "refs/heads/")
	tag, isTag := strings.CutPrefix(p.Ref, "refs/tags/")
	switch {
	case rev == p.Ref:
		return true
	case rev == "" || rev == "HEAD":
		return isBranch && (p.DefaultBranch == "" || branch == p.DefaultBranch)
	case isBranch && rev == branch, isTag && rev == tag:
		return true
	}
	return false
}

func (p Push) names(repoURL string) bool {
	want := NormalizeURL(repoURL)
	for _, u := range p.URLs {
		if NormalizeURL(u) == want {
			return true
		}
	}
	return false
}
