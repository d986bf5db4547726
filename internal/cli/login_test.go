package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/internal/session"
	"github.com/capstan-cd/capstan/internal/settings"
)

// TestLoginLogoutContext logs in through the CLI against a real server,
// with the password asked for and given as a flag, switches contexts and
// logs out.
func TestLoginLogoutContext(t *testing.T) {
	s := newCLIServer(t, false)

	out, err := s.run(t, "", "login", s.address, "--insecure", "--username", session.Admin, "--password", "wrong")
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("a wrong password logged in: %v\n%s", err, out)
	}
	if _, err := os.Stat(s.config); err == nil {
		t.Error("a failed login wrote the configuration file")
	}

	// No flags: the name and the password are asked for.
	out, err = s.run(t, session.Admin+"\n"+s.adminPassword+"\n", "login", s.address, "--insecure", "--name", "first")
	if err != nil {
		t.Fatalf("login with prompts: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Username: ") || !strings.Contains(out, "Password: ") || strings.Contains(out, s.adminPassword) {
		t.Errorf("login did not ask, or echoed the password:\n%s", out)
	}
	fi, err := os.Stat(s.config)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("configuration file mode %v, want 0600", fi.Mode().Perm())
	}
	if cfg := readFile(t, s.config); !strings.Contains(cfg, "auth-token: ey") || !strings.Contains(cfg, "current-context: first") {
		t.Errorf("configuration file after login:\n%s", cfg)
	}
	if out := s.must(t, "account", "get-user-info"); !strings.Contains(out, "Logged In:          true") || !strings.Contains(out, "Username:           admin") {
		t.Errorf("get-user-info:\n%s", out)
	}
	if out := s.must(t, "version"); !strings.Contains(out, "\nserver: ") {
		t.Errorf("version with a current context printed no server version:\n%s", out)
	}
	if out := s.must(t, "version", "--client"); strings.Contains(out, "server: ") {
		t.Errorf("version --client asked the server:\n%s", out)
	}
	if out := s.must(t, "app", "list"); !strings.HasPrefix(out, "NAME  CLUSTER") {
		t.Errorf("app list with the session:\n%s", out)
	}

	s.must(t, "login", s.address, "--insecure", "--username", session.Admin, "--password", s.adminPassword, "--name", "second")
	out = s.must(t, "context")
	if !regexp.MustCompile(`(?m)^ +first +`+s.address+`$`).MatchString(out) || !regexp.MustCompile(`(?m)^\* +second +`+s.address+`$`).MatchString(out) {
		t.Errorf("contexts after a second login:\n%s", out)
	}
	s.must(t, "context", "first")
	if out := s.must(t, "context"); !regexp.MustCompile(`(?m)^\* +first `).MatchString(out) {
		t.Errorf("context did not switch:\n%s", out)
	}
	if _, err := s.run(t, "", "context", "nope"); err == nil {
		t.Error("switched to a context that does not exist")
	}

	token := regexp.MustCompile(`auth-token: (\S+)\n  name: first`).FindStringSubmatch(readFile(t, s.config))
	s.must(t, "logout")
	if len(token) != 2 {
		t.Fatal("no token of context first in the configuration file")
	}
	// The server refuses the session from now on, not only this file.
	if _, err := runCLI(t, "", "app", "list", "--server", s.address, "--insecure", "--auth-token", token[1]); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("the token of a logged-out session still works: %v", err)
	}
	if cfg := readFile(t, s.config); strings.Count(cfg, "auth-token:") != 1 {
		t.Errorf("logout of first should leave second's token only:\n%s", cfg)
	}
	out, err = s.run(t, "", "app", "list")
	if err == nil || !strings.Contains(err.Error(), "no session information") {
		t.Errorf("app list after logout: %v\n%s", err, out)
	}
	// The other context keeps its session.
	if out := s.must(t, "app", "list", "--capstan-context", "second"); !strings.HasPrefix(out, "NAME") {
		t.Errorf("app list with the other context:\n%s", out)
	}
	s.must(t, "context", "second", "--delete")
	if cfg := readFile(t, s.config); strings.Contains(cfg, "second") {
		t.Errorf("context --delete left the context:\n%s", cfg)
	}
}

// TestAccountCommands changes the admin's password through the CLI, which
// logs in again with it, and makes an API token usable with --auth-token.
func TestAccountCommands(t *testing.T) {
	s := newCLIServer(t, false)
	s.login(t)
	newPassword := "n3w-Passw0rd!"
	out := s.must(t, "account", "update-password", "--current-password", s.adminPassword, "--new-password", newPassword)
	if !strings.Contains(out, "Password updated") {
		t.Errorf("update-password:\n%s", out)
	}
	// The old session ended with the change; the CLI took a new one.
	s.must(t, "app", "list")
	if _, err := s.run(t, "", "login", s.address, "--insecure", "--username", session.Admin, "--password", s.adminPassword); err == nil {
		t.Error("the old password still logs in")
	}
	s.must(t, "login", s.address, "--insecure", "--username", session.Admin, "--password", newPassword)
	if out := s.must(t, "account", "can-i", "sync", "applications", "default/*"); out != "yes\n" {
		t.Errorf("account can-i of the admin: %q", out)
	}

	// An account with the apiKey capability gets tokens, usable as
	// --auth-token.
	var cm corev1.ConfigMap
	if err := s.direct.Get(t.Context(), client.ObjectKey{Namespace: s.namespace, Name: settings.ConfigMap}, &cm); err != nil {
		t.Fatal(err)
	}
	cm.Data["accounts.ci"] = "apiKey"
	if err := s.direct.Update(t.Context(), &cm); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { return strings.Contains(s.must(t, "account", "list"), "ci ") })
	if out := s.must(t, "account", "list"); !regexp.MustCompile(`(?m)^ci +true +apiKey$`).MatchString(out) {
		t.Errorf("account list:\n%s", out)
	}
	token := strings.TrimSpace(s.must(t, "account", "generate-token", "--account", "ci", "--id", "pipeline"))
	out = s.must(t, "account", "get-user-info", "--server", s.address, "--insecure", "--auth-token", token)
	if !strings.Contains(out, "Username:           ci") {
		t.Errorf("get-user-info with ci's token:\n%s", out)
	}
	if out, err := runCLI(t, "", "account", "can-i", "sync", "applications", "default/*", "--server", s.address, "--insecure", "--auth-token", token); err != nil || out != "no\n" {
		t.Errorf("account can-i of ci, who has no role: %v %q", err, out)
	}
}
