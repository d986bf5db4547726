package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// LoadCredentials lists the repository and repo-creds Secrets of namespace
// and indexes them.
func LoadCredentials(ctx context.Context, client kubernetes.Interface, namespace string) (*Credentials, error) {
	list, err := client.CoreV1().Secrets(namespace).List(ctx, metav1.ListOptions{
		LabelSelector: fmt.Sprintf("%s in (%s,%s)", SecretTypeLabel, SecretTypeRepository, SecretTypeRepoCreds),
	})
	if err != nil {
		return nil, fmt.Errorf("list repository secrets in namespace %s: %w", namespace, err)
	}
	return NewCredentials(list.Items), nil
}

// Environment variables read by RepositoryFromEnv.
const (
	EnvRepoUsername          = "CAPSTAN_REPO_USERNAME"
	EnvRepoPassword          = "CAPSTAN_REPO_PASSWORD"
	EnvRepoSSHPrivateKeyPath = "CAPSTAN_REPO_SSH_PRIVATE_KEY_PATH"
	// EnvRepoSSHKnownHostsPath names the known_hosts file SSH hosts are
	// verified against; unset, it is ~/.ssh/known_hosts when that exists.
	EnvRepoSSHKnownHostsPath = "CAPSTAN_REPO_SSH_KNOWN_HOSTS_PATH"
)

// RepositoryFromEnv builds a Repository for repoURL from the CAPSTAN_REPO_*
// variables, for commands that run without a cluster. getenv is os.Getenv
// outside tests.
func RepositoryFromEnv(repoURL string, getenv func(string) string) (Repository, error) {
	r := Repository{
		URL:      repoURL,
		Type:     "git",
		Username: getenv(EnvRepoUsername),
		Password: getenv(EnvRepoPassword),
	}
	if p := getenv(EnvRepoSSHPrivateKeyPath); p != "" {
		key, err := os.ReadFile(p)
		if err != nil {
			return Repository{}, fmt.Errorf("read ssh private key for %s: %w", RedactURL(repoURL), err)
		}
		r.SSHPrivateKey = string(key)
	}
	if isSSHURL(repoURL) {
		hosts, err := knownHostsFromEnv(getenv)
		if err != nil {
			return Repository{}, fmt.Errorf("read ssh known hosts for %s: %w", RedactURL(repoURL), err)
		}
		r.KnownHosts = hosts
	}
	return r, nil
}

// knownHostsFromEnv reads the known_hosts file that
// EnvRepoSSHKnownHostsPath names, or the user's own when it is unset; a
// user without one trusts no host.
func knownHostsFromEnv(getenv func(string) string) (string, error) {
	path := getenv(EnvRepoSSHKnownHostsPath)
	if path == "" {
		if home := getenv("HOME"); home != "" {
			b, err := os.ReadFile(filepath.Join(home, ".ssh", "known_hosts"))
			if errors.Is(err, fs.ErrNotExist) {
				return "", nil
			}
			return string(b), err
		}
		return "", nil
	}
	b, err := os.ReadFile(path)
	return string(b), err
}
