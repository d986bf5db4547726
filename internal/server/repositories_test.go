package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// TestRepositoriesNeverAnswerCredentials adds, reads, updates and deletes
// repositories and credential templates against a real Git server with
// basic auth: the connection is checked with a real ls-remote, the
// credentials are stored, and no answer ever holds one.
func TestRepositoriesNeverAnswerCredentials(t *testing.T) {
	e := newResEnv(t, grant{"viewer", "repositories", "get", "team-a/*"})
	srv := gitserver.NewHTTP(t)
	srv.NewRepo(t, "app").Commit(t, "main", map[string]string{"README": "hi"}, "first")
	repoURL := srv.RepoURL("app")
	const password = "s3cret-pass"
	var answers []string
	call := func(subject, method, target string, body any) (int, string) {
		code, out := e.do(t, subject, method, target, body)
		answers = append(answers, string(out))
		return code, string(out)
	}

	if code, out := call("admin", "POST", "/api/v1/repositories", map[string]any{"repo": repoURL, "username": "capstan", "password": "wrong"}); code != http.StatusBadRequest {
		t.Errorf("create with a rejected password: %d %s, want 400", code, out)
	}
	if code, out := call("admin", "POST", "/api/v1/repositories", map[string]any{"repo": repoURL, "username": "capstan", "password": password, "insecure": true}); code != http.StatusOK {
		t.Fatalf("create: %d %s", code, out)
	}
	escaped := "/api/v1/repositories/" + url.PathEscape(repoURL)
	code, out := call("admin", "GET", escaped+"?forceRefresh=true", nil)
	if code != http.StatusOK || !strings.Contains(out, `"status":"Successful"`) || !strings.Contains(out, `"username":"capstan"`) || !strings.Contains(out, `"insecure":true`) {
		t.Errorf("get with forceRefresh: %d %s, want a successful connection", code, out)
	}
	if code, out := call("admin", "PUT", escaped, map[string]any{"repo": repoURL, "username": "capstan", "name": "app"}); code != http.StatusOK || !strings.Contains(out, `"name":"app"`) {
		t.Errorf("update without the password: %d %s", code, out)
	}
	secret := e.repoSecret(t, repoURL)
	if string(secret.Data["password"]) != password || secret.Annotations[annotationManagedBy] != managedByValue {
		t.Errorf("stored Secret: password kept %v, annotations %v", string(secret.Data["password"]) == password, secret.Annotations)
	}
	if code, out := call("admin", "GET", escaped+"?forceRefresh=true", nil); !strings.Contains(out, `"status":"Successful"`) {
		t.Errorf("the connection after an update without the password: %d %s", code, out)
	}

	// A template lends its credentials to a repository under its prefix.
	prefix := srv.URL + "/"
	if code, out := call("admin", "POST", "/api/v1/repocreds", map[string]any{"url": prefix, "username": "capstan", "password": password, "sshPrivateKey": "PRIVATE-KEY-PEM"}); code != http.StatusOK {
		t.Fatalf("create repo-creds: %d %s", code, out)
	}
	srv.NewRepo(t, "other").Commit(t, "main", map[string]string{"README": "hi"}, "first")
	if code, out := call("admin", "POST", "/api/v1/repositories", map[string]any{"repo": srv.RepoURL("other"), "project": "team-a"}); code != http.StatusOK || !strings.Contains(out, `"inheritedCreds":true`) {
		t.Errorf("create of a repository that borrows credentials: %d %s", code, out)
	}
	call("admin", "GET", "/api/v1/repocreds", nil)
	code, out = call("viewer", "GET", "/api/v1/repositories", nil)
	if code != http.StatusOK || strings.Count(out, `"repo":`) != 1 || !strings.Contains(out, "other.git") {
		t.Errorf("viewer's list: %d %s, want team-a's repository only", code, out)
	}
	call("admin", "GET", "/api/v1/repositories?forceRefresh=true", nil)

	for _, a := range answers {
		for _, secret := range []string{password, "PRIVATE-KEY-PEM", "sshPrivateKey\":"} {
			if strings.Contains(a, secret) {
				t.Fatalf("an answer holds a credential (%s): %s", secret, a)
			}
		}
	}

	e.create(t, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: "declared", Labels: map[string]string{v1alpha1.LabelSecretType: v1alpha1.SecretTypeRepository}},
		StringData: map[string]string{"url": "https://git.example/declared.git"},
	})
	if code, out := call("admin", "DELETE", "/api/v1/repositories/"+url.PathEscape("https://git.example/declared.git"), nil); code != http.StatusBadRequest {
		t.Errorf("delete of a declared repository: %d %s, want 400", code, out)
	}
	if code, out := call("admin", "DELETE", escaped, nil); code != http.StatusOK {
		t.Errorf("delete: %d %s", code, out)
	}
	if code, _ := call("admin", "GET", escaped, nil); code != http.StatusNotFound {
		t.Errorf("get after delete: %d, want 404", code)
	}
}

// repoSecret is the repository Secret of url in the env's namespace.
func (e *resEnv) repoSecret(t *testing.T, url string) corev1.Secret {
	t.Helper()
	var list corev1.SecretList
	if err := e.client.List(context.Background(), &list, client.InNamespace(e.ns), client.MatchingLabels{v1alpha1.LabelSecretType: v1alpha1.SecretTypeRepository}); err != nil {
		t.Fatal(err)
	}
	for _, s := range list.Items {
		if string(s.Data["url"]) == url {
			return s
		}
	}
	t.Fatalf("no repository Secret for %s", url)
	return corev1.Secret{}
}
