package source

import (
	"net/url"
	"strings"

	"github.com/capstan-cd/capstan/internal/settings"
)

// Trust gives the installation's trust material in force, read again at
// every request so that a change to argocd-ssh-known-hosts-cm or
// argocd-tls-certs-cm applies without a restart. A settings.Watcher is
// one.
type Trust interface {
	Current() *settings.Settings
}

// trusted completes repo with the installation's trust material for its
// host: the known hosts of argocd-ssh-known-hosts-cm for an SSH URL, the
// certificates argocd-tls-certs-cm holds for its host name otherwise.
// Material the caller set on repo itself is kept. Each kind goes only to
// the URLs it serves, so that a change to one does not change the
// identity, and so the caches, of repositories it does not concern.
func trusted(repo Repository, s *settings.Settings) Repository {
	if s == nil || isFileURL(repo.URL) {
		return repo
	}
	if isSSHURL(repo.URL) {
		if repo.KnownHosts == "" {
			repo.KnownHosts = knownHostsFor(s.SSHKnownHosts(), hostOf(repo.URL))
		}
		return repo
	}
	if repo.CAData == "" {
		repo.CAData = s.TLSCertificates(hostOf(repo.URL))
	}
	return repo
}

// current is the snapshot of trust in force; nil when there is none.
func current(t Trust) *settings.Settings {
	if t == nil {
		return nil
	}
	return t.Current()
}

// hostOf is the host name a repository URL dials: of an https://, ssh://,
// oci:// or scp-like URL, or of an OCI reference without a scheme.
func hostOf(raw string) string {
	s := strings.TrimSpace(raw)
	if scp, ok := scpToSSH(s); ok {
		s = scp
	}
	if !strings.Contains(s, "://") {
		s = "oci://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// knownHostsFor keeps the lines of known_hosts content that may concern
// host: those whose host patterns name it, and those it cannot tell
// without matching (hashed names, wildcards, negations). Lines for other
// hosts are dropped, so that adding or removing them does not change
// the identity, and so the caches, of this host's repositories. What is
// kept is still checked in full when the host connects.
func knownHostsFor(content, host string) string {
	host = strings.ToLower(host)
	var b strings.Builder
	for _, line := range strings.Split(content, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		patterns := fields[0]
		if strings.HasPrefix(patterns, "@") && len(fields) > 1 { // @cert-authority, @revoked
			patterns = fields[1]
		}
		if mayMatchHost(patterns, host) {
			b.WriteString(strings.TrimSpace(line))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// mayMatchHost reports whether a comma-separated list of known_hosts host
// patterns could name host.
func mayMatchHost(patterns, host string) bool {
	for _, p := range strings.Split(strings.ToLower(patterns), ",") {
		if strings.HasPrefix(p, "|") || strings.ContainsAny(p, "*?!") {
			return true
		}
		if strings.HasPrefix(p, "[") {
			if end := strings.Index(p, "]"); end > 0 {
				p = p[1:end]
			}
		}
		if p == host {
			return true
		}
	}
	return false
}
