package source

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"

	"github.com/capstan-cd/capstan/internal/settings"
)

func init() {
	// go-git's file transport runs the git-upload-pack binary when one is
	// installed; capstan serves file:// repositories in process instead so
	// that nothing is ever executed.
	client.InstallProtocol("file", server.NewServer(localLoader{}))
}

// access is everything go-git needs to reach one repository.
type access struct {
	url        string
	auth       transport.AuthMethod
	insecure   bool
	caBundle   []byte
	clientCert []byte
	clientKey  []byte
	proxy      transport.ProxyOptions
}

// accessFor turns a Repository's credentials into go-git's transport options.
func accessFor(repo Repository) (access, error) {
	a := access{
		url:        dialURL(repo.URL),
		insecure:   repo.Insecure,
		caBundle:   []byte(repo.CAData),
		clientCert: []byte(repo.TLSClientCertData),
		clientKey:  []byte(repo.TLSClientCertKey),
	}
	if isSSHURL(repo.URL) {
		// An SSH repository is dialled directly: the proxy of a repository
		// Secret is an HTTP proxy.
		auth, err := sshAuth(repo)
		if err != nil {
			return access{}, err
		}
		a.auth = auth
		return a, nil
	}
	a.proxy = transport.ProxyOptions{URL: proxyFor(repo, a.url)}
	switch {
	case repo.BearerToken != "":
		a.auth = &githttp.TokenAuth{Token: repo.BearerToken}
	case repo.Username != "" || repo.Password != "":
		a.auth = &githttp.BasicAuth{Username: repo.Username, Password: repo.Password}
	}
	return a, nil
}

// sshAuth builds public-key authentication and host key checking for an
// SSH URL. Without a key it offers none, rather than leaving go-git to its
// defaults, which would read the process's SSH agent and
// ~/.ssh/known_hosts: the host is still checked, and then refused or asked
// for a key it will not get.
func sshAuth(repo Repository) (transport.AuthMethod, error) {
	var check gitssh.HostKeyCallbackHelper
	if repo.InsecureIgnoreHostKey || repo.Insecure {
		check.HostKeyCallback = ssh.InsecureIgnoreHostKey()
	} else {
		// Without known hosts every host is unknown, and refused.
		cb, algos, err := knownHostsCheck(repo.KnownHosts, sshAddr(repo.URL))
		if err != nil {
			return nil, err
		}
		check.HostKeyCallback, check.HostKeyAlgorithms = cb, algos
	}
	user := sshUser(repo.URL)
	if repo.SSHPrivateKey == "" {
		none := func() ([]ssh.Signer, error) { return nil, nil }
		return &gitssh.PublicKeysCallback{User: user, Callback: none, HostKeyCallbackHelper: check}, nil
	}
	keys, err := gitssh.NewPublicKeys(user, []byte(repo.SSHPrivateKey), "")
	if err != nil {
		// The parser's message never quotes the key.
		return nil, fmt.Errorf("parse ssh private key: %w", err)
	}
	keys.HostKeyCallbackHelper = check
	return keys, nil
}

// knownHostsCheck builds a host key callback from known_hosts content, and
// the key algorithms it knows for addr so the server offers a matching key.
// A host whose key is not among them is refused with an error that says
// where to add it.
func knownHostsCheck(content, addr string) (ssh.HostKeyCallback, []string, error) {
	f, err := os.CreateTemp("", "capstan-known-hosts-*")
	if err != nil {
		return nil, nil, fmt.Errorf("write known hosts: %w", err)
	}
	defer os.Remove(f.Name())
	_, werr := f.WriteString(content)
	cerr := f.Close()
	if werr != nil || cerr != nil {
		return nil, nil, fmt.Errorf("write known hosts: %w", errors.Join(werr, cerr))
	}
	db, err := gitssh.NewKnownHostsDb(f.Name())
	if err != nil {
		return nil, nil, fmt.Errorf("parse known hosts: %w", err)
	}
	check := db.HostKeyCallback()
	refuse := func(host string, remote net.Addr, key ssh.PublicKey) error {
		if err := check(host, remote, key); err != nil {
			return fmt.Errorf("ssh host key %s of %s is not in %s (ssh_known_hosts); add it there, or set insecure: \"true\" on the repository Secret: %w",
				ssh.FingerprintSHA256(key), host, settings.KnownHosts, err)
		}
		return nil
	}
	return refuse, db.HostKeyAlgorithms(addr), nil
}

// sshUser is the user of an ssh:// or scp-like URL, "git" when none is given.
func sshUser(raw string) string {
	s := raw
	if scp, ok := scpToSSH(raw); ok {
		s = scp
	}
	if u, err := url.Parse(s); err == nil && u.User != nil && u.User.Username() != "" {
		return u.User.Username()
	}
	return "git"
}

// sshAddr is the host:port an SSH URL dials.
func sshAddr(raw string) string {
	s := raw
	if scp, ok := scpToSSH(raw); ok {
		s = scp
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), "22")
	}
	return u.Host
}

// isFileURL reports whether the repository is a local path or file:// URL.
func isFileURL(raw string) bool {
	return strings.HasPrefix(NormalizeURL(raw), "file://")
}

// dialURL is the URL go-git dials: as written, without trailing slashes, which
// some servers refuse in front of the service path.
func dialURL(raw string) string {
	u := strings.TrimSpace(raw)
	for strings.HasSuffix(u, "/") && !strings.HasSuffix(u, "://") && len(u) > 1 {
		u = strings.TrimSuffix(u, "/")
	}
	return u
}
