// Package source gives access to the repositories Applications point at:
// Git over HTTP(S), SSH and file://, Helm chart repositories and OCI
// registries. It resolves a revision to an immutable one, fetches and checks
// out trees into a bounded on-disk cache, and finds credentials in the
// Secrets of the control-plane namespace. It knows nothing of controllers.
package source

// Repository is one repository with the credentials to reach it, as Argo CD's
// repository Secrets describe it. The zero value of each credential field
// means "none".
type Repository struct {
	// URL as written in spec.source.repoURL.
	URL string
	// Type is "git" (the default) or "helm".
	Type string
	// Name is the repository's display name, if any.
	Name string
	// EnableOCI marks a Helm repository served from an OCI registry.
	EnableOCI bool
	// InsecureOCIForceHTTP talks plain HTTP to an OCI registry (Argo CD's
	// insecureOCIForceHttp); without it an OCI registry is reached over HTTPS.
	InsecureOCIForceHTTP bool
	// Project restricts the credentials to one AppProject, when set.
	Project string

	Username string
	Password string
	// BearerToken is used by some Git hosts and registries instead of a password.
	BearerToken string
	// SSHPrivateKey is a PEM private key for ssh:// and scp-like URLs.
	SSHPrivateKey string
	// InsecureIgnoreHostKey skips SSH host key checking (Argo CD's insecure for SSH).
	InsecureIgnoreHostKey bool
	// Insecure skips TLS verification (Argo CD's insecure for HTTPS).
	Insecure bool
	// TLSClientCertData and TLSClientCertKey are a PEM client certificate and key.
	TLSClientCertData string
	TLSClientCertKey  string
	// CAData is a PEM bundle trusted in addition to the system roots.
	CAData string
	// KnownHosts is an ssh_known_hosts file's content used to verify SSH hosts.
	KnownHosts string
	// Proxy is the URL of the HTTP proxy that HTTP(S) requests to the
	// repository go through; empty means the environment's (HTTPS_PROXY).
	Proxy string
	// NoProxy lists the hosts reached without Proxy, comma-separated: host
	// names (with their subdomains; ".domain" for the subdomains only), IP
	// addresses and CIDR ranges, each with an optional ":port", or "*".
	NoProxy string

	// GitHubAppID, GitHubAppInstallationID and GitHubAppPrivateKey (PEM)
	// authenticate as a GitHub App installation: capstan exchanges them
	// for an installation token, sent as basic auth x-access-token:<token>.
	GitHubAppID             string
	GitHubAppInstallationID string
	GitHubAppPrivateKey     string
	// GitHubAppEnterpriseBaseURL is the API of a GitHub Enterprise Server
	// (https://host/api/v3); empty means https://api.github.com.
	GitHubAppEnterpriseBaseURL string
}

// Redacted returns a copy with every secret replaced, safe to log or print.
func (r Repository) Redacted() Repository {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "******"
	}
	r.Password = mask(r.Password)
	r.BearerToken = mask(r.BearerToken)
	r.SSHPrivateKey = mask(r.SSHPrivateKey)
	r.TLSClientCertKey = mask(r.TLSClientCertKey)
	r.GitHubAppPrivateKey = mask(r.GitHubAppPrivateKey)
	return r
}
