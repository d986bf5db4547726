package registry

import (
	"fmt"
	"strings"
)

// config is the part of the registry's configuration the tests vary.
type config struct {
	Addr     string
	Root     string // filesystem storage
	Htpasswd string
	CertFile string // TLS when set, with KeyFile
	KeyFile  string
	// TokenRealm and TokenCert, when set, replace htpasswd with token
	// authentication: tokens come from the realm, signed by the key of
	// the certificate.
	TokenRealm, TokenCert string
}

// yaml renders the registry's configuration file. Paths are quoted as JSON
// strings, which YAML reads unchanged.
func (c config) yaml() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "version: 0.1\n")
	fmt.Fprintf(&b, "log:\n  level: warn\n  accesslog:\n    disabled: true\n")
	fmt.Fprintf(&b, "storage:\n  filesystem:\n    rootdirectory: %q\n  delete:\n    enabled: true\n", c.Root)
	fmt.Fprintf(&b, "  maintenance:\n    uploadpurging:\n      enabled: false\n")
	fmt.Fprintf(&b, "http:\n  addr: %q\n", c.Addr)
	if c.CertFile != "" {
		fmt.Fprintf(&b, "  tls:\n    certificate: %q\n    key: %q\n", c.CertFile, c.KeyFile)
	}
	if c.TokenRealm != "" {
		fmt.Fprintf(&b, "auth:\n  token:\n    realm: %q\n    service: %s\n    issuer: %s\n    rootcertbundle: %q\n",
			c.TokenRealm, tokenService, tokenIssuer, c.TokenCert)
		return []byte(b.String())
	}
	fmt.Fprintf(&b, "auth:\n  htpasswd:\n    realm: capstan-test\n    path: %q\n", c.Htpasswd)
	return []byte(b.String())
}
