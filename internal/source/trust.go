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
			repo.KnownHosts = s.SSHKnownHosts()
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
