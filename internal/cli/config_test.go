package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfigPath(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"explicit", map[string]string{"CAPSTAN_CONFIG": "/c", "XDG_CONFIG_HOME": "/x", "HOME": "/h"}, "/c"},
		{"xdg", map[string]string{"XDG_CONFIG_HOME": "/x", "HOME": "/h"}, "/x/capstan/config"},
		{"home", map[string]string{"HOME": "/h"}, "/h/.config/capstan/config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := configPath(func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("configPath = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConfigWriteIsPrivateAndRoundTrips(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "config")
	c := &localConfig{}
	c.login("cd.example", serverEntry{Server: "cd.example:443", Insecure: true}, "tok")
	if err := writeConfig(path, c); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("config file mode %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	want := `contexts:
- name: cd.example
  server: cd.example:443
  user: cd.example
current-context: cd.example
servers:
- insecure: true
  server: cd.example:443
users:
- auth-token: tok
  name: cd.example
`
	if diff := cmp.Diff(want, string(data)); diff != "" {
		t.Errorf("config file (-want +got):\n%s", diff)
	}
	back, err := readConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestConfigMissingFileIsEmpty(t *testing.T) {
	c, err := readConfig(filepath.Join(t.TempDir(), "none"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.context(""); err == nil {
		t.Error("an empty configuration has a current context")
	}
}

func TestConfigContexts(t *testing.T) {
	c := &localConfig{}
	c.login("a", serverEntry{Server: "a:1"}, "ta")
	c.login("b", serverEntry{Server: "b:1", PlainText: true}, "tb")
	c.login("a", serverEntry{Server: "a:1"}, "ta2")
	if c.CurrentContext != "a" || len(c.Contexts) != 2 || len(c.Users) != 2 || len(c.Servers) != 2 {
		t.Fatalf("after three logins: %+v", c)
	}
	if err := c.use("b"); err != nil {
		t.Fatal(err)
	}
	_, srv, user, err := c.context("")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(serverEntry{Server: "b:1", PlainText: true}, srv); diff != "" {
		t.Errorf("server (-want +got):\n%s", diff)
	}
	if user.AuthToken != "tb" {
		t.Errorf("token %q, want tb", user.AuthToken)
	}
	if err := c.logout("b"); err != nil {
		t.Fatal(err)
	}
	if _, _, user, _ := c.context("b"); user.AuthToken != "" {
		t.Errorf("token kept after logout: %q", user.AuthToken)
	}
	if _, _, user, _ := c.context("a"); user.AuthToken != "ta2" {
		t.Errorf("logout of b changed a's token to %q", user.AuthToken)
	}
	if err := c.use("nope"); err == nil {
		t.Error("switched to a context that does not exist")
	}
	if err := c.remove("b"); err != nil {
		t.Fatal(err)
	}
	if c.CurrentContext != "" || len(c.Contexts) != 1 || len(c.Users) != 1 {
		t.Errorf("after removing b: %+v", c)
	}
}

func TestResolveEndpoint(t *testing.T) {
	cfg := &localConfig{}
	cfg.login("ctx", serverEntry{Server: "cd:443", Insecure: true}, "session")
	for _, tc := range []struct {
		name string
		o    clientOptions
		env  map[string]string
		want endpoint
	}{
		{"context", clientOptions{}, nil, endpoint{server: "cd:443", token: "session", insecure: true}},
		{"flag token wins", clientOptions{authToken: "flag"}, nil, endpoint{server: "cd:443", token: "flag", insecure: true}},
		{"env", clientOptions{}, map[string]string{"CAPSTAN_SERVER": "other:1", "CAPSTAN_AUTH_TOKEN": "env"}, endpoint{server: "other:1", token: "env"}},
		{"other server keeps no session", clientOptions{server: "other:1"}, nil, endpoint{server: "other:1"}},
		{"core", clientOptions{core: true}, nil, endpoint{core: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			o.getenv = func(k string) string { return tc.env[k] }
			got, err := o.resolve(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(endpoint{})); diff != "" {
				t.Errorf("endpoint (-want +got):\n%s", diff)
			}
		})
	}
}
