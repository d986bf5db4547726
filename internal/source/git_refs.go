package source

import (
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// refList is one ls-remote answer: every ref of a repository with the commit
// it points to, annotated tags already peeled to their commit.
type refList struct {
	at   time.Time
	refs map[string]string // full ref name ("HEAD", "refs/heads/main") → commit SHA
	err  error             // a failed listing, remembered briefly
}

// newRefList indexes the references a server advertised. A peeled entry
// ("refs/tags/v1^{}") replaces its tag object; a symbolic ref (HEAD) takes
// the SHA of its target.
func newRefList(refs []*plumbing.Reference, at time.Time) refList {
	l := refList{at: at, refs: make(map[string]string, len(refs))}
	peeled := map[string]string{}
	var symbolic []*plumbing.Reference
	for _, r := range refs {
		name := r.Name().String()
		switch {
		case r.Type() == plumbing.SymbolicReference:
			symbolic = append(symbolic, r)
		case strings.HasSuffix(name, "^{}"):
			peeled[strings.TrimSuffix(name, "^{}")] = r.Hash().String()
		default:
			l.refs[name] = r.Hash().String()
		}
	}
	for name, sha := range peeled {
		l.refs[name] = sha
	}
	for _, r := range symbolic {
		if sha, ok := l.refs[r.Target().String()]; ok {
			l.refs[r.Name().String()] = sha
		}
	}
	return l
}

// lookup resolves a revision by name, in the order git rev-parse uses:
// HEAD (also for ""), a full ref name, a tag, a branch.
func (l refList) lookup(revision string) (string, bool) {
	if revision == "" {
		revision = "HEAD"
	}
	candidates := []string{revision}
	if revision != "HEAD" && !strings.HasPrefix(revision, "refs/") {
		candidates = []string{"refs/tags/" + revision, "refs/heads/" + revision}
	}
	for _, c := range candidates {
		if sha, ok := l.refs[c]; ok {
			return sha, true
		}
	}
	return "", false
}

// byPrefix returns the one commit of the list whose SHA starts with prefix.
func (l refList) byPrefix(prefix string) (string, bool) {
	prefix = strings.ToLower(prefix)
	found := ""
	for _, sha := range l.refs {
		if !strings.HasPrefix(sha, prefix) {
			continue
		}
		if found != "" && found != sha {
			return "", false // ambiguous
		}
		found = sha
	}
	return found, found != ""
}

// namesOf returns the branch and tag names pointing at sha, branches first.
func (l refList) namesOf(sha string) []string {
	var heads, tags []string
	for name, s := range l.refs {
		if s != sha {
			continue
		}
		switch {
		case strings.HasPrefix(name, "refs/heads/"):
			heads = append(heads, name)
		case strings.HasPrefix(name, "refs/tags/"):
			tags = append(tags, name)
		}
	}
	return append(heads, tags...)
}

// isHex reports whether s could be a (possibly short) commit SHA.
func isHex(s string) bool {
	if len(s) < 4 || len(s) > 40 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
