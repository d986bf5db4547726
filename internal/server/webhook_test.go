package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/internal/source"
)

type recorder struct{ pushes []source.Push }

func (r *recorder) Refresh(_ context.Context, p source.Push) (int, error) {
	r.pushes = append(r.pushes, p)
	return 1, nil
}

func sign(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return hex.EncodeToString(mac.Sum(nil))
}

const githubPush = `{"ref":"refs/heads/main","repository":{"html_url":"https://github.com/acme/apps","clone_url":"https://github.com/acme/apps.git","ssh_url":"git@github.com:acme/apps.git","default_branch":"main"}}`

func TestWebhookProviders(t *testing.T) {
	secrets := WebhookSecrets{GitHub: "gh", GitLab: "gl", BitbucketUUID: "uuid-1", BitbucketServer: "bbs", Gogs: "gogs"}
	gitlab := `{"ref":"refs/heads/main","project":{"web_url":"https://gitlab.com/acme/apps","git_http_url":"https://gitlab.com/acme/apps.git","git_ssh_url":"git@gitlab.com:acme/apps.git","default_branch":"main"}}`
	bitbucket := `{"push":{"changes":[{"new":{"type":"branch","name":"main"}}]},"repository":{"full_name":"acme/apps","links":{"html":{"href":"https://bitbucket.org/acme/apps"}}}}`
	bbServer := `{"changes":[{"ref":{"id":"refs/heads/main"}}],"repository":{"links":{"clone":[{"href":"https://bb.example.com/scm/acme/apps.git"},{"href":"ssh://git@bb.example.com:7999/acme/apps.git"}]}}}`
	githubFiles := `{"ref":"refs/heads/main","repository":{"html_url":"https://github.com/acme/apps","default_branch":"main"},"commits":[{"added":["apps/a/new.yaml"],"modified":["apps/b/x.yaml"],"removed":[]},{"added":[],"modified":[],"removed":["apps/c/old.yaml"]}]}`
	gitlabCut := `{"ref":"refs/heads/main","project":{"web_url":"https://gitlab.com/acme/apps","default_branch":"main"},"total_commits_count":30,"commits":[{"added":["a.yaml"]}]}`
	gitea := `{"ref":"refs/tags/v1","repository":{"html_url":"https://gitea.example.com/acme/apps","clone_url":"https://gitea.example.com/acme/apps.git"}}`
	tests := []struct {
		name     string
		headers  map[string]string
		body     string
		wantCode int
		wantPush *source.Push
	}{
		{"GitHub signed", map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + sign("gh", githubPush)}, githubPush, 200,
			&source.Push{URLs: []string{"https://github.com/acme/apps", "https://github.com/acme/apps.git", "git@github.com:acme/apps.git"}, Ref: "refs/heads/main", DefaultBranch: "main"}},
		{"GitHub wrongly signed", map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + sign("other", githubPush)}, githubPush, 401, nil},
		{"GitHub unsigned", map[string]string{"X-GitHub-Event": "push"}, githubPush, 401, nil},
		{"GitHub ping is ignored", map[string]string{"X-GitHub-Event": "ping", "X-Hub-Signature-256": "sha256=" + sign("gh", `{}`)}, `{}`, 200, nil},
		{"GitLab token", map[string]string{"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "gl"}, gitlab, 200,
			&source.Push{URLs: []string{"https://gitlab.com/acme/apps", "https://gitlab.com/acme/apps.git", "git@gitlab.com:acme/apps.git"}, Ref: "refs/heads/main", DefaultBranch: "main"}},
		{"GitHub push lists the changed files", map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + sign("gh", githubFiles)}, githubFiles, 200,
			&source.Push{URLs: []string{"https://github.com/acme/apps"}, Ref: "refs/heads/main", DefaultBranch: "main", Files: []string{"apps/a/new.yaml", "apps/b/x.yaml", "apps/c/old.yaml"}}},
		{"GitLab push with a cut commit list", map[string]string{"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "gl"}, gitlabCut, 200,
			&source.Push{URLs: []string{"https://gitlab.com/acme/apps"}, Ref: "refs/heads/main", DefaultBranch: "main"}},
		{"GitLab wrong token", map[string]string{"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "nope"}, gitlab, 401, nil},
		{"Bitbucket Cloud", map[string]string{"X-Event-Key": "repo:push", "X-Hook-UUID": "uuid-1"}, bitbucket, 200,
			&source.Push{URLs: []string{"https://bitbucket.org/acme/apps", "https://bitbucket.org/acme/apps", "git@bitbucket.org:acme/apps.git"}, Ref: "refs/heads/main"}},
		{"Bitbucket Cloud wrong uuid", map[string]string{"X-Event-Key": "repo:push", "X-Hook-UUID": "uuid-2"}, bitbucket, 401, nil},
		{"Bitbucket Server", map[string]string{"X-Event-Key": "repo:refs_changed", "X-Hub-Signature": "sha256=" + sign("bbs", bbServer)}, bbServer, 200,
			&source.Push{URLs: []string{"https://bb.example.com/scm/acme/apps.git", "ssh://git@bb.example.com:7999/acme/apps.git"}, Ref: "refs/heads/main"}},
		{"Gitea tag push", map[string]string{"X-Gitea-Event": "push", "X-Gitea-Signature": sign("gogs", gitea)}, gitea, 200,
			&source.Push{URLs: []string{"https://gitea.example.com/acme/apps", "https://gitea.example.com/acme/apps.git"}, Ref: "refs/tags/v1"}},
		{"Gogs wrongly signed", map[string]string{"X-Gogs-Event": "push", "X-Gogs-Signature": sign("x", gitea)}, gitea, 401, nil},
		{"unknown sender", map[string]string{"X-Whatever": "push"}, githubPush, 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			h := &Webhook{Secrets: func(context.Context) (WebhookSecrets, error) { return secrets, nil }, Refresher: rec}
			req := httptest.NewRequest(http.MethodPost, "/api/webhook", strings.NewReader(tt.body))
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tt.wantCode {
				t.Fatalf("status = %d (%s), want %d", w.Code, w.Body.String(), tt.wantCode)
			}
			var got *source.Push
			if len(rec.pushes) == 1 {
				got = &rec.pushes[0]
			} else if len(rec.pushes) > 1 {
				t.Fatalf("refreshed %d times", len(rec.pushes))
			}
			if diff := cmp.Diff(tt.wantPush, got); diff != "" {
				t.Errorf("push (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWebhookWithoutSecretAcceptsUnsigned(t *testing.T) {
	rec := &recorder{}
	h := &Webhook{Secrets: func(context.Context) (WebhookSecrets, error) { return WebhookSecrets{}, nil }, Refresher: rec}
	req := httptest.NewRequest(http.MethodPost, "/api/webhook", strings.NewReader(githubPush))
	req.Header.Set("X-GitHub-Event", "push")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 || len(rec.pushes) != 1 {
		t.Errorf("status %d, %d refreshes; want an unsigned push accepted when no secret is set", w.Code, len(rec.pushes))
	}
}

func TestWebhookRefusesLargePayloads(t *testing.T) {
	rec := &recorder{}
	h := &Webhook{Secrets: func(context.Context) (WebhookSecrets, error) { return WebhookSecrets{}, nil }, Refresher: rec}
	body := bytes.Repeat([]byte("x"), MaxWebhookBytes+1)
	req := httptest.NewRequest(http.MethodPost, "/api/webhook", bytes.NewReader(body))
	req.Header.Set("X-GitHub-Event", "push")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusRequestEntityTooLarge || len(rec.pushes) != 0 {
		t.Errorf("status %d, %d refreshes; want 413 and nothing refreshed", w.Code, len(rec.pushes))
	}
}

func FuzzParsePush(f *testing.F) {
	f.Add("push", githubPush)
	f.Add("Push Hook", `{"ref":"refs/heads/x","project":{"web_url":"u"}}`)
	f.Fuzz(func(t *testing.T, event, body string) {
		for _, header := range []string{"X-GitHub-Event", "X-Gitlab-Event", "X-Event-Key", "X-Gitea-Event"} {
			h := http.Header{}
			h.Set(header, event)
			p, err := parsePush(h, []byte(body), WebhookSecrets{}, false)
			if err == nil && (len(p.URLs) == 0 || p.Ref == "") {
				t.Errorf("accepted a push without URL or ref: %+v", p)
			}
		}
	})
}
