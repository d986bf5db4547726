package hostile

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Item 9 of the issue: with capstan.webhook.requireSignature set in
// argocd-cm (the suite sets it, and argocd-secret's GitHub secret), an
// unsigned event of a provider without a secret is refused: nobody can
// make capstan fetch at will by posting GitLab events.

// githubSecret is argocd-secret's webhook.github.secret in the suite.
const githubSecret = "hook-s3cret-2c9e"

func postEvent(t *testing.T, header http.Header, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, suite.capstan.webhook+"/api/webhook", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(msg)
}

func TestUnsignedWebhookRefused(t *testing.T) {
	a := newAttack(t, "webhook")
	url := suite.public.url(canary)
	gitlab := `{"object_kind":"push","ref":"refs/heads/main","project":{"web_url":"` + strings.TrimSuffix(url, ".git") + `","git_http_url":"` + url + `"}}`
	code, msg := postEvent(t, http.Header{"X-Gitlab-Event": {"Push Hook"}}, gitlab)
	if code != http.StatusUnauthorized || !strings.Contains(msg, "webhook.gitlab.secret") {
		t.Errorf("an unsigned GitLab event got %d %q, want 401 naming webhook.gitlab.secret", code, msg)
	}

	github := `{"ref":"refs/heads/main","repository":{"html_url":"` + strings.TrimSuffix(url, ".git") + `","clone_url":"` + url + `"}}`
	mac := hmac.New(sha256.New, []byte(githubSecret))
	mac.Write([]byte(github))
	signed := http.Header{"X-Github-Event": {"push"}, "X-Hub-Signature-256": {"sha256=" + hex.EncodeToString(mac.Sum(nil))}}
	if code, msg := postEvent(t, signed, github); code != http.StatusOK {
		t.Errorf("a signed GitHub event got %d %q, want 200", code, msg)
	}
	a.survived()
}
