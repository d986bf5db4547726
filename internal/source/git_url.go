package source

import (
	"net/url"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/capstan-cd/capstan/internal/memo"
)

// NormalizeURL returns the form of a repository URL used to match credentials
// and to key caches: scp-like "user@host:path" becomes "ssh://host/path", a
// local path becomes a file:// URL, scheme and host are lower-cased, userinfo,
// default ports, a trailing "/" and a trailing ".git" are dropped. Two URLs
// that reach the same repository the same way normalise to the same string,
// and a normalised URL normalises to itself.
func NormalizeURL(raw string) string {
	if len(raw) > normalizedMaxLen || hasPassword(raw) {
		return normalizeURL(raw)
	}
	if s, ok := normalized.Get(raw); ok {
		return s
	}
	s := normalizeURL(raw)
	normalized.Put(raw, s)
	return s
}

// normalized remembers NormalizeURL's answers: a pass asks for the form
// of its few URLs several times (to find the credentials, to key the
// resolution, the checkout and the tree hash), and each answer parses the
// URL anew. A URL longer than
// normalizedMaxLen (the API hands any query's to NormalizeURL), or one
// that carries a password, is not kept.
var normalized = memo.New[string, string](4096)

const normalizedMaxLen = 512

// hasPassword reports whether raw, read as scheme://userinfo@host/...,
// carries a password in its userinfo.
func hasPassword(raw string) bool {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return false
	}
	host, _, _ := strings.Cut(rest, "/")
	at := strings.LastIndex(host, "@")
	return at > 0 && strings.Contains(host[:at], ":")
}

func normalizeURL(raw string) string {
	// Malformed input can take a second step to settle (an scp-like form
	// that only parses once its user name is gone); every step removes or
	// lower-cases, or adds the scheme once, so a few steps reach the end.
	s := normalizeOnce(raw)
	for range 4 {
		next := normalizeOnce(s)
		if next == s {
			break
		}
		s = next
	}
	return s
}

func normalizeOnce(raw string) string {
	s := strings.TrimSpace(raw)
	if s == "" {
		return ""
	}
	// Suffixes first: what decides the form below must not be a space
	// before a trailing "/" ("h:p /"), which the next call would not see.
	if t := trimRepoSuffix(s); t != "" {
		s = t
	}
	if isLocalPath(s) {
		s = (&url.URL{Scheme: "file", Path: cleanPath(s)}).String()
	}
	// The user name goes first, whatever it holds: a space or a quote in it
	// must not decide how the rest is read.
	s = stripUserinfo(s)
	if !reachable(s) {
		// Not a URL anyone can reach: key it as written.
		return trimRepoSuffix(s)
	}
	if scp, ok := scpToSSH(s); ok {
		s = stripUserinfo(scp)
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return trimRepoSuffix(s)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.User = nil
	u.Host = strings.ToLower(dropDefaultPort(u.Scheme, u.Host))
	u.RawQuery, u.Fragment, u.RawFragment, u.ForceQuery = "", "", "", false
	if u.Scheme == "file" {
		u.Path = cleanPath(u.Path)
	}
	u.RawPath = ""
	// "scheme:/path" has no authority; printed as such it would read as
	// scp-like "host:path" the next time. Always print the "//".
	u.OmitHost = false
	if u.Host == "" && u.Path == "" {
		return u.Scheme + "://" // url.URL would print "scheme:", an scp-like form
	}
	return trimRepoSuffix(u.String())
}

// RedactURL removes the password from a URL's userinfo, keeping the user
// name, so the URL can appear in a message.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return stripPasswords(redactAuthority(raw))
	}
	if u.User == nil {
		if u.Host == "" {
			// Any "://" lies in a path, query or fragment, where the parser
			// sees no userinfo: what would read as one is still redacted.
			return stripPasswords(redactAuthority(raw))
		}
		return stripPasswords(raw)
	}
	if _, has := u.User.Password(); !has {
		return raw
	}
	u.User = url.User(u.User.Username())
	return u.String()
}

// redactAuthority removes the password of a URL that does not parse: what
// lies between the first ":" and the last "@" before the path, whatever it
// holds (a space ends a URL in free text, not here).
func redactAuthority(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	end := strings.Index(rest, "/")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return s
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	if !hasPassword {
		return s
	}
	return scheme + "://" + user + "@" + rest[at+1:]
}

// userinfoPattern finds "scheme://user:password@" in free text.
// The scheme may be missing: a malformed URL still must not show a password.
var userinfoPattern = regexp.MustCompile(`((?:[A-Za-z][A-Za-z0-9+.\-]*)?://[^/@:\s]*):[^/@\s]*@`)

// stripPasswords removes the password part of every URL userinfo in s.
func stripPasswords(s string) string {
	return userinfoPattern.ReplaceAllString(s, "$1@")
}

// trimRepoSuffix drops trailing "/" and ".git", but never into the scheme
// ("file:///" stays as is).
func trimRepoSuffix(s string) string {
	for {
		t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git"))
		if t == s || strings.HasSuffix(t, ":") || strings.HasSuffix(t, ":/") {
			return s
		}
		s = t
	}
}

// reachable reports whether s could be a URL: valid UTF-8 without spaces.
func reachable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsAny(s, " \t\r\n")
}

func isLocalPath(s string) bool {
	return strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../")
}

func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	c := path.Clean(p)
	if c == "." {
		return "/"
	}
	return c
}

// scpToSSH turns "user@host:path" into "ssh://user@host/path". A string with
// a scheme, or whose colon comes after a slash, is not scp-like.
func scpToSSH(s string) (string, bool) {
	if strings.Contains(s, "://") {
		return "", false
	}
	colon := strings.Index(s, ":")
	if colon <= 0 {
		return "", false
	}
	if slash := strings.Index(s, "/"); slash >= 0 && slash < colon {
		return "", false
	}
	host, p := s[:colon], s[colon+1:]
	return "ssh://" + host + "/" + strings.TrimPrefix(p, "/"), true
}

func stripUserinfo(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	slash := strings.Index(rest, "/")
	if slash < 0 {
		slash = len(rest)
	}
	if at := strings.LastIndex(rest[:slash], "@"); at >= 0 {
		rest = rest[at+1:]
	}
	return scheme + "://" + rest
}

func dropDefaultPort(scheme, host string) string {
	defaults := map[string]string{"http": ":80", "https": ":443", "ssh": ":22", "git": ":9418"}
	if d, ok := defaults[scheme]; ok {
		return strings.TrimSuffix(host, d)
	}
	return host
}

// isSSHURL reports whether a repository URL is reached over SSH.
func isSSHURL(raw string) bool {
	return strings.HasPrefix(NormalizeURL(raw), "ssh://")
}

// urlHasPrefix reports whether the normalised URL u lies under the
// normalised prefix p. A prefix ending in a letter or digit matches whole path
// segments only, so that credentials for ".../acme" are not sent to
// ".../acme-evil"; a prefix ending in punctuation (".../team-") matches any
// continuation, as in Argo CD.
func urlHasPrefix(u, p string) bool {
	if p == "" || !strings.HasPrefix(u, p) {
		return false
	}
	if len(u) == len(p) || u[len(p)] == '/' {
		return true
	}
	last := p[len(p)-1]
	alnum := 'a' <= last && last <= 'z' || 'A' <= last && last <= 'Z' || '0' <= last && last <= '9'
	return !alnum
}
