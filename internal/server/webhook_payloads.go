package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/capstan-cd/capstan/internal/source"
)

// errIgnored marks events that are not pushes (pings, pull requests).
var errIgnored = errors.New("not a push event")

// parsePush verifies the request against the provider's secret and reads
// the push from its payload. The provider is told by its event header. With
// required, a provider whose secret is not set is refused.
func parsePush(h http.Header, body []byte, s WebhookSecrets, required bool) (source.Push, error) {
	hmacOf := func(header string) func(string) error {
		return func(secret string) error { return verifyHMAC(secret, h.Get(header), body) }
	}
	tokenOf := func(header string) func(string) error {
		return func(secret string) error { return verifyToken(secret, h.Get(header)) }
	}
	switch {
	case h.Get("X-GitHub-Event") != "":
		if err := verify(s.GitHub, "webhook.github.secret", required, hmacOf("X-Hub-Signature-256")); err != nil {
			return source.Push{}, err
		}
		if h.Get("X-GitHub-Event") != "push" {
			return source.Push{}, errIgnored
		}
		return parseRepositoryPush(body)
	case h.Get("X-Gitea-Event") != "" || h.Get("X-Gogs-Event") != "":
		header := "X-Gitea-Signature"
		if h.Get(header) == "" {
			header = "X-Gogs-Signature"
		}
		if err := verify(s.Gogs, "webhook.gogs.secret", required, hmacOf(header)); err != nil {
			return source.Push{}, err
		}
		if ev := h.Get("X-Gitea-Event") + h.Get("X-Gogs-Event"); ev != "push" {
			return source.Push{}, errIgnored
		}
		return parseRepositoryPush(body)
	case h.Get("X-Gitlab-Event") != "":
		if err := verify(s.GitLab, "webhook.gitlab.secret", required, tokenOf("X-Gitlab-Token")); err != nil {
			return source.Push{}, err
		}
		if ev := h.Get("X-Gitlab-Event"); ev != "Push Hook" && ev != "Tag Push Hook" {
			return source.Push{}, errIgnored
		}
		return parseGitLab(body)
	case h.Get("X-Event-Key") == "repo:refs_changed" || h.Get("X-Event-Key") == "diagnostics:ping":
		if err := verify(s.BitbucketServer, "webhook.bitbucketserver.secret", required, hmacOf("X-Hub-Signature")); err != nil {
			return source.Push{}, err
		}
		if h.Get("X-Event-Key") != "repo:refs_changed" {
			return source.Push{}, errIgnored
		}
		return parseBitbucketServer(body)
	case h.Get("X-Event-Key") != "":
		if err := verify(s.BitbucketUUID, "webhook.bitbucket.uuid", required, tokenOf("X-Hook-UUID")); err != nil {
			return source.Push{}, err
		}
		if h.Get("X-Event-Key") != "repo:push" {
			return source.Push{}, errIgnored
		}
		return parseBitbucketCloud(body)
	}
	return source.Push{}, fmt.Errorf("unknown webhook: no GitHub, GitLab, Bitbucket, Gitea or Gogs event header")
}

// parseRepositoryPush reads the payload shape GitHub, Gitea and Gogs share.
func parseRepositoryPush(body []byte) (source.Push, error) {
	var p struct {
		Ref        string `json:"ref"`
		Repository struct {
			HTMLURL       string `json:"html_url"`
			CloneURL      string `json:"clone_url"`
			SSHURL        string `json:"ssh_url"`
			DefaultBranch string `json:"default_branch"`
		} `json:"repository"`
		Commits []commitFiles `json:"commits"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return source.Push{}, fmt.Errorf("decode push payload: %w", err)
	}
	out, err := push(p.Ref, p.Repository.DefaultBranch, p.Repository.HTMLURL, p.Repository.CloneURL, p.Repository.SSHURL)
	out.Files = changedFiles(p.Commits, len(p.Commits))
	return out, err
}

// commitFiles is a commit as GitHub, GitLab, Gitea and Gogs list it in a
// push: the paths it added, modified and removed.
type commitFiles struct {
	Added    []string `json:"added"`
	Modified []string `json:"modified"`
	Removed  []string `json:"removed"`
}

// changedFiles is every path the push's commits changed, or nil when that
// is not known: no commits listed, or fewer listed than pushed (providers
// cut long lists).
func changedFiles(commits []commitFiles, pushed int) []string {
	if len(commits) == 0 || len(commits) < pushed {
		return nil
	}
	files := []string{}
	for _, c := range commits {
		for _, list := range [][]string{c.Added, c.Modified, c.Removed} {
			files = append(files, list...)
		}
	}
	return files
}

func parseGitLab(body []byte) (source.Push, error) {
	var p struct {
		Ref     string `json:"ref"`
		Project struct {
			WebURL        string `json:"web_url"`
			HTTPURL       string `json:"git_http_url"`
			SSHURL        string `json:"git_ssh_url"`
			DefaultBranch string `json:"default_branch"`
		} `json:"project"`
		Commits           []commitFiles `json:"commits"`
		TotalCommitsCount int           `json:"total_commits_count"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return source.Push{}, fmt.Errorf("decode GitLab push payload: %w", err)
	}
	out, err := push(p.Ref, p.Project.DefaultBranch, p.Project.WebURL, p.Project.HTTPURL, p.Project.SSHURL)
	out.Files = changedFiles(p.Commits, max(p.TotalCommitsCount, len(p.Commits)))
	return out, err
}

func parseBitbucketCloud(body []byte) (source.Push, error) {
	var p struct {
		Push struct {
			Changes []struct {
				New struct {
					Type string `json:"type"`
					Name string `json:"name"`
				} `json:"new"`
			} `json:"changes"`
		} `json:"push"`
		Repository struct {
			FullName string `json:"full_name"`
			Links    struct {
				HTML struct {
					Href string `json:"href"`
				} `json:"html"`
			} `json:"links"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return source.Push{}, fmt.Errorf("decode Bitbucket push payload: %w", err)
	}
	if len(p.Push.Changes) == 0 {
		return source.Push{}, errIgnored
	}
	change := p.Push.Changes[0].New
	ref := "refs/heads/" + change.Name
	if change.Type == "tag" {
		ref = "refs/tags/" + change.Name
	}
	urls := []string{p.Repository.Links.HTML.Href}
	if p.Repository.FullName != "" {
		urls = append(urls, "https://bitbucket.org/"+p.Repository.FullName, "git@bitbucket.org:"+p.Repository.FullName+".git")
	}
	return push(ref, "", urls...)
}

func parseBitbucketServer(body []byte) (source.Push, error) {
	var p struct {
		Changes []struct {
			Ref struct {
				ID string `json:"id"`
			} `json:"ref"`
		} `json:"changes"`
		Repository struct {
			Links struct {
				Clone []struct {
					Href string `json:"href"`
				} `json:"clone"`
			} `json:"links"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return source.Push{}, fmt.Errorf("decode Bitbucket Server push payload: %w", err)
	}
	if len(p.Changes) == 0 {
		return source.Push{}, errIgnored
	}
	var urls []string
	for _, c := range p.Repository.Links.Clone {
		urls = append(urls, c.Href)
	}
	return push(p.Changes[0].Ref.ID, "", urls...)
}

func push(ref, defaultBranch string, urls ...string) (source.Push, error) {
	p := source.Push{Ref: ref, DefaultBranch: defaultBranch}
	for _, u := range urls {
		if u = strings.TrimSpace(u); u != "" {
			p.URLs = append(p.URLs, u)
		}
	}
	if len(p.URLs) == 0 || p.Ref == "" {
		return source.Push{}, fmt.Errorf("push payload names no repository URL or ref")
	}
	return p, nil
}
