package source

import (
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// The label and its values that mark Argo CD repository Secrets.
const (
	SecretTypeLabel      = "argocd.argoproj.io/secret-type"
	SecretTypeRepository = "repository"
	SecretTypeRepoCreds  = "repo-creds"
)

// Credentials finds the credentials for a repository URL among repository
// Secrets (exact URL) and repo-creds Secrets (longest URL prefix). It is
// built once from a list of Secrets and is read-only afterwards.
type Credentials struct {
	repos []Repository // from repository Secrets
	creds []Repository // from repo-creds Secrets, longest URL first
}

// NewCredentials indexes the repository and repo-creds Secrets among secrets;
// others, and those without a url, are ignored.
func NewCredentials(secrets []corev1.Secret) *Credentials {
	c := &Credentials{}
	for i := range secrets {
		s := &secrets[i]
		r := repositoryFromSecret(s)
		if r.URL == "" {
			continue
		}
		switch s.Labels[SecretTypeLabel] {
		case SecretTypeRepository:
			c.repos = append(c.repos, r)
		case SecretTypeRepoCreds:
			c.creds = append(c.creds, r)
		}
	}
	sort.SliceStable(c.creds, func(i, j int) bool {
		return len(NormalizeURL(c.creds[i].URL)) > len(NormalizeURL(c.creds[j].URL))
	})
	return c
}

// Lookup returns the repository to use for repoURL from an Application of
// project: the repository Secret with that URL if there is one, its missing
// credentials taken from the best repo-creds; otherwise the repo-creds with
// the longest matching URL prefix. Secrets scoped to another project do not
// match. The result's URL is always repoURL; ok is false when nothing matched.
func (c *Credentials) Lookup(repoURL, project string) (repo Repository, ok bool) {
	norm := NormalizeURL(repoURL)
	visible := func(r Repository) bool { return r.Project == "" || r.Project == project }

	var tmpl *Repository
	for i := range c.creds {
		if visible(c.creds[i]) && urlHasPrefix(norm, NormalizeURL(c.creds[i].URL)) {
			tmpl = &c.creds[i]
			break
		}
	}
	for _, r := range c.repos {
		if !visible(r) || NormalizeURL(r.URL) != norm {
			continue
		}
		if !hasCredentials(r) && tmpl != nil {
			r = withCredentials(r, *tmpl)
		}
		r.URL = repoURL
		return r, true
	}
	if tmpl == nil {
		return Repository{URL: repoURL}, false
	}
	r := *tmpl
	r.URL, r.Name, r.Project = repoURL, "", project
	return r, true
}

// Repositories returns the repositories declared by repository Secrets.
func (c *Credentials) Repositories() []Repository {
	return append([]Repository(nil), c.repos...)
}

func hasCredentials(r Repository) bool {
	return r.Username != "" || r.Password != "" || r.BearerToken != "" ||
		r.SSHPrivateKey != "" || r.TLSClientCertData != "" || r.GitHubAppPrivateKey != ""
}

// withCredentials copies the credential fields of from into r.
func withCredentials(r, from Repository) Repository {
	r.Username, r.Password, r.BearerToken = from.Username, from.Password, from.BearerToken
	r.SSHPrivateKey = from.SSHPrivateKey
	r.TLSClientCertData, r.TLSClientCertKey = from.TLSClientCertData, from.TLSClientCertKey
	r.GitHubAppID, r.GitHubAppInstallationID = from.GitHubAppID, from.GitHubAppInstallationID
	r.GitHubAppPrivateKey, r.GitHubAppEnterpriseBaseURL = from.GitHubAppPrivateKey, from.GitHubAppEnterpriseBaseURL
	if !r.Insecure && !r.InsecureIgnoreHostKey {
		r.Insecure, r.InsecureIgnoreHostKey = from.Insecure, from.InsecureIgnoreHostKey
	}
	if r.Proxy == "" {
		r.Proxy, r.NoProxy = from.Proxy, from.NoProxy
	}
	return r
}

// repositoryFromSecret reads Argo CD's keys. The GCP and Azure keys are not
// supported and are ignored.
func repositoryFromSecret(s *corev1.Secret) Repository {
	get := func(k string) string {
		if v, ok := s.Data[k]; ok {
			return string(v)
		}
		return s.StringData[k]
	}
	flag := func(k string) bool {
		b, _ := strconv.ParseBool(strings.TrimSpace(get(k)))
		return b
	}
	r := Repository{
		URL:                   strings.TrimSpace(get("url")),
		Type:                  get("type"),
		Name:                  get("name"),
		Project:               get("project"),
		EnableOCI:             flag("enableOCI"),
		Username:              get("username"),
		Password:              get("password"),
		BearerToken:           get("bearerToken"),
		SSHPrivateKey:         get("sshPrivateKey"),
		Insecure:              flag("insecure"),
		InsecureIgnoreHostKey: flag("insecureIgnoreHostKey"),
		TLSClientCertData:     get("tlsClientCertData"),
		TLSClientCertKey:      get("tlsClientCertKey"),
		Proxy:                 strings.TrimSpace(get("proxy")),
		NoProxy:               get("noProxy"),

		GitHubAppID:                strings.TrimSpace(get("githubAppID")),
		GitHubAppInstallationID:    strings.TrimSpace(get("githubAppInstallationID")),
		GitHubAppPrivateKey:        get("githubAppPrivateKey"),
		GitHubAppEnterpriseBaseURL: strings.TrimSpace(get("githubAppEnterpriseBaseUrl")),
	}
	if r.Type == "" {
		r.Type = "git"
	}
	return r
}
