package cli

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// TestProjectCommands creates, edits and deletes an AppProject and a role
// with a token through the CLI, against the real API.
func TestProjectCommands(t *testing.T) {
	s := newCLIServer(t, false)
	s.login(t)
	s.must(t, "proj", "create", "team", "--description", "the team", "-d", "https://kubernetes.default.svc,team-ns", "-s", "https://git.example/team/*")
	// The API reads projects from its cache, which follows the write.
	eventually(t, func() bool { _, err := s.run(t, "", "proj", "get", "team"); return err == nil })
	s.must(t, "proj", "add-source", "team", "https://git.example/shared.git")
	s.must(t, "proj", "add-destination", "team", "https://kubernetes.default.svc", "team-extra")
	s.must(t, "proj", "remove-destination", "team", "https://kubernetes.default.svc", "team-ns")
	if _, err := s.run(t, "", "proj", "add-source", "team", "https://git.example/shared.git"); err == nil {
		t.Error("a source added twice was accepted")
	}
	var p v1alpha1.AppProject
	if err := json.Unmarshal([]byte(s.must(t, "proj", "get", "team", "-o", "json")), &p); err != nil {
		t.Fatal(err)
	}
	if p.Spec.Description != "the team" || strings.Join(p.Spec.SourceRepos, " ") != "https://git.example/team/* https://git.example/shared.git" ||
		len(p.Spec.Destinations) != 1 || p.Spec.Destinations[0].Namespace != "team-extra" {
		t.Errorf("project after the edits: %+v", p.Spec)
	}
	if out := s.must(t, "proj", "list"); !regexp.MustCompile(`(?m)^team +the team +https://kubernetes.default.svc,team-extra +2 repos `).MatchString(out) {
		t.Errorf("proj list:\n%s", out)
	}

	s.must(t, "proj", "role", "create", "team", "ci", "--description", "pipelines")
	s.must(t, "proj", "role", "add-policy", "team", "ci", "-a", "sync", "-o", "*")
	if out := s.must(t, "proj", "role", "list", "team"); !strings.Contains(out, "ci         pipelines    1         0") {
		t.Errorf("proj role list:\n%s", out)
	}
	token := strings.TrimSpace(s.must(t, "proj", "role", "create-token", "team", "ci", "--id", "build-1"))
	if !strings.HasPrefix(token, "ey") {
		t.Fatalf("create-token printed %q", token)
	}
	// The role's token is a session of its own: it may list (and sees
	// nothing of other projects), it may not create projects.
	as := []string{"--server", s.address, "--insecure", "--auth-token", token}
	if out, err := runCLI(t, "", append([]string{"app", "list", "-o", "name"}, as...)...); err != nil || out != "" {
		t.Errorf("app list with the role's token: %v %q", err, out)
	}
	if _, err := runCLI(t, "", append([]string{"proj", "create", "other"}, as...)...); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("the role's token created a project: %v", err)
	}

	s.must(t, "proj", "delete", "team")
	if _, err := s.run(t, "", "proj", "get", "team"); err == nil {
		t.Error("the project is still there after proj delete")
	}
}

// TestRepoAndClusterCommands adds and removes repositories, credential
// templates and lists clusters through the CLI; the API never shows a
// password or a bearer token.
func TestRepoAndClusterCommands(t *testing.T) {
	s := newCLIServer(t, false)
	s.login(t)
	// The API checks that it can reach a repository it is given.
	git := gitserver.NewHTTP(t, gitserver.WithBasicAuth("ci", "s3cret-pw"))
	git.NewRepo(t, "app").Commit(t, "main", webApp, "v1")
	url := git.RepoURL("app")
	s.must(t, "repo", "add", url, "--username", "ci", "--password", "s3cret-pw", "--project", "default")
	var out string
	eventually(t, func() bool { out = s.must(t, "repo", "list", "--refresh", "hard"); return strings.Contains(out, url) })
	if !strings.Contains(out, url) || !strings.Contains(out, "Successful") || strings.Contains(out, "s3cret-pw") {
		t.Errorf("repo list:\n%s", out)
	}
	got := s.must(t, "repo", "get", url, "-o", "json")
	if !strings.Contains(got, `"repo": "`+url+`"`) || strings.Contains(got, "s3cret-pw") {
		t.Errorf("repo get -o json:\n%s", got)
	}
	s.must(t, "repo", "rm", url)
	eventually(t, func() bool { return !strings.Contains(s.must(t, "repo", "list"), url) })
	if out := s.must(t, "repo", "list"); strings.Contains(out, url) {
		t.Errorf("repo list after rm:\n%s", out)
	}

	s.must(t, "repocreds", "add", "https://git.example/team", "--username", "ci", "--password", "s3cret-pw")
	eventually(t, func() bool { return strings.Contains(s.must(t, "repocreds", "list"), "git.example") })
	if out := s.must(t, "repocreds", "list"); !strings.Contains(out, "https://git.example/team  ci") || strings.Contains(out, "s3cret-pw") {
		t.Errorf("repocreds list:\n%s", out)
	}
	s.must(t, "repocreds", "rm", "https://git.example/team")
	eventually(t, func() bool { return !strings.Contains(s.must(t, "repocreds", "list"), "git.example") })
	if out := s.must(t, "repocreds", "list"); strings.Contains(out, "git.example") {
		t.Errorf("repocreds list after rm:\n%s", out)
	}

	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "ext", Namespace: s.namespace, Labels: map[string]string{v1alpha1.LabelSecretType: v1alpha1.SecretTypeCluster}},
		StringData: map[string]string{"name": "ext", "server": "https://ext.example:6443", "config": `{"bearerToken":"t0ken-value"}`},
	}
	if err := s.direct.Create(t.Context(), secret); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { return strings.Contains(s.must(t, "cluster", "list"), "https://ext.example:6443") })
	got = s.must(t, "cluster", "get", "ext", "-o", "json")
	if !strings.Contains(got, `"server": "https://ext.example:6443"`) || strings.Contains(got, "t0ken-value") {
		t.Errorf("cluster get by name:\n%s", got)
	}
	// A cluster declared as a Secret is removed where it is declared; the
	// CLI shows the server's reason.
	if _, err := s.run(t, "", "cluster", "rm", "https://ext.example:6443"); err == nil || !strings.Contains(err.Error(), "not created through the API") {
		t.Errorf("cluster rm of a declared cluster: %v", err)
	}
	if err := s.direct.Get(t.Context(), client.ObjectKeyFromObject(secret), &corev1.Secret{}); err != nil {
		t.Errorf("the declared cluster Secret: %v", err)
	}
}
