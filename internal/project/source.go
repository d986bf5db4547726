package project

import (
	"fmt"
	"strings"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/source"
)

// PermitsSource reports whether the project lets its Applications read the
// repository at repoURL. The URL is permitted when a sourceRepos pattern
// without `!` matches it and no `!` pattern does: an exception wins over any
// allowance, and exceptions alone allow nothing.
//
// A pattern matches a URL as written or after both are normalised the way
// repositories are compared (case, a trailing ".git" or "/", user names,
// scp-like SSH addresses), so that spelling a URL differently neither
// escapes an exception nor loses an allowance. `*` stops at "/", `**` does
// not.
func PermitsSource(p *v1alpha1.AppProject, repoURL string) error {
	allowed := false
	for _, pattern := range p.Spec.SourceRepos {
		deny := isDeny(pattern)
		ok, err := repoMatch(strings.TrimPrefix(pattern, "!"), repoURL)
		if err != nil {
			return &Violation{Project: p.Name, Rule: fmt.Sprintf("sourceRepos: %v", err)}
		}
		switch {
		case ok && deny:
			return &Violation{Project: p.Name, Rule: fmt.Sprintf("application repository %s is denied by sourceRepos pattern %q", source.RedactURL(repoURL), pattern)}
		case ok:
			allowed = true
		}
	}
	if !allowed {
		return &Violation{Project: p.Name, Rule: fmt.Sprintf("application repository %s is not permitted", source.RedactURL(repoURL))}
	}
	return nil
}

func repoMatch(pattern, repoURL string) (bool, error) {
	ok, err := match(strings.ToLower(strings.TrimSpace(pattern)), strings.ToLower(strings.TrimSpace(repoURL)), '/')
	if ok || err != nil {
		return ok, err
	}
	return match(normalizePattern(pattern), strings.ToLower(source.NormalizeURL(repoURL)), '/')
}

// globChars are the characters with a meaning in a pattern, which URL
// normalisation would escape or misread.
const globChars = `*?[]{}!,\`

// normalizePattern normalises a URL pattern as source.NormalizeURL does a
// URL, keeping its wildcards: each is swapped for a plain placeholder
// first and put back after.
func normalizePattern(pattern string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(pattern) {
		if i := strings.IndexRune(globChars, r); i >= 0 {
			fmt.Fprintf(&b, "capstanglob%dx", i)
			continue
		}
		b.WriteRune(r)
	}
	s := strings.ToLower(source.NormalizeURL(b.String()))
	for i, r := range globChars {
		s = strings.ReplaceAll(s, fmt.Sprintf("capstanglob%dx", i), string(r))
	}
	return s
}
