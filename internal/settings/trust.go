package settings

import (
	"net"
	"strings"
)

// KeySSHKnownHosts is the key of argocd-ssh-known-hosts-cm that holds the
// known_hosts lines SSH repositories are verified against.
const KeySSHKnownHosts = "ssh_known_hosts"

// SSHKnownHosts is the content of argocd-ssh-known-hosts-cm's
// ssh_known_hosts: the host keys an SSH repository may present. Empty
// when the ConfigMap or the key is missing, and then no SSH host is
// trusted.
func (s *Settings) SSHKnownHosts() string { return s.data[KnownHosts][KeySSHKnownHosts] }

// TLSCertificates is the PEM bundle argocd-tls-certs-cm holds for host,
// a repository URL's host name: its key in the ConfigMap is the host name
// without a port, compared case-insensitively. Empty when there is none.
func (s *Settings) TLSCertificates(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if host == "" {
		return ""
	}
	for key, pem := range s.data[TLSCerts] {
		if strings.ToLower(key) == host {
			return pem
		}
	}
	return ""
}
