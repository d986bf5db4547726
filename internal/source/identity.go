package source

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// identities names the credentials a request is made with. Every cache of
// what a repository answered (ref lists, fetched objects, checked-out trees,
// chart indexes and tag lists) is keyed by the identity that fetched it, so
// that an Application whose project has no credentials for a private
// repository never reads what another project fetched with its own: a
// request under a new identity asks the server again, which refuses it.
//
// An identity is an HMAC of the credential material under a key kept in the
// cache directory: it appears in cache keys and directory names, and a
// reader of those learns nothing of the credentials, not even by guessing
// weak passwords. The key persists so that a restarted process keeps its
// cache.
type identities struct {
	key []byte
}

// identityKeyFile holds the HMAC key under a cache directory.
const identityKeyFile = "identity.key"

// loadIdentities reads the key of the cache under dir, creating it on first
// use.
func loadIdentities(dir string) (identities, error) {
	path := filepath.Join(dir, identityKeyFile)
	key, err := os.ReadFile(path)
	if err == nil && len(key) == 32 {
		return identities{key: key}, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return identities{}, fmt.Errorf("read cache key %s: %w", path, err)
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return identities{}, fmt.Errorf("create cache key: %w", err)
	}
	if err := writeFileAtomic(path, key); err != nil {
		return identities{}, fmt.Errorf("create cache key %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return identities{}, fmt.Errorf("create cache key %s: %w", path, err)
	}
	return identities{key: key}, nil
}

// of returns repo's identity: 16 hex digits that differ for any difference
// in the credentials or in how the server is trusted (TLS verification, CA,
// known hosts, proxy), since what was fetched under weaker trust must not
// reach a request that asked for stronger.
func (ids identities) of(repo Repository) string {
	mac := hmac.New(sha256.New, ids.key)
	for _, s := range []string{
		repo.Username, repo.Password, repo.BearerToken, repo.SSHPrivateKey,
		repo.TLSClientCertData, repo.TLSClientCertKey, repo.CAData, repo.KnownHosts, repo.Proxy, repo.NoProxy,
		repo.GitHubAppID, repo.GitHubAppInstallationID, repo.GitHubAppPrivateKey, repo.GitHubAppEnterpriseBaseURL,
		strconv.FormatBool(repo.Insecure), strconv.FormatBool(repo.InsecureIgnoreHostKey),
		strconv.FormatBool(repo.InsecureOCIForceHTTP),
	} {
		// Length-prefixed, so that no two lists of fields write the same bytes.
		mac.Write([]byte(strconv.Itoa(len(s)) + ":" + s))
	}
	return hex.EncodeToString(mac.Sum(nil)[:8])
}
