package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"sigs.k8s.io/yaml"
)

// localConfig is the client's configuration file: where the servers are and
// the session of each, in the YAML shape users of Argo CD's CLI know
// (contexts, servers, users, current-context).
type localConfig struct {
	CurrentContext string        `json:"current-context,omitempty"`
	Contexts       []contextRef  `json:"contexts,omitempty"`
	Servers        []serverEntry `json:"servers,omitempty"`
	Users          []userEntry   `json:"users,omitempty"`
}

// contextRef names a server and the user to reach it as.
type contextRef struct {
	Name   string `json:"name"`
	Server string `json:"server"`
	User   string `json:"user"`
}

// serverEntry is how to reach a server.
type serverEntry struct {
	Server    string `json:"server"`
	Insecure  bool   `json:"insecure,omitempty"`
	PlainText bool   `json:"plain-text,omitempty"`
	GRPCWeb   bool   `json:"grpc-web,omitempty"`
	Core      bool   `json:"core,omitempty"`
}

// userEntry is a session: the token a login gave, and the SSO provider's
// refresh token when it gave one.
type userEntry struct {
	Name         string `json:"name"`
	AuthToken    string `json:"auth-token,omitempty"`
	RefreshToken string `json:"refresh-token,omitempty"`
}

// configPath is where the configuration file lives: $CAPSTAN_CONFIG, else
// $XDG_CONFIG_HOME/capstan/config, else ~/.config/capstan/config.
func configPath(getenv func(string) string) (string, error) {
	if p := getenv("CAPSTAN_CONFIG"); p != "" {
		return p, nil
	}
	if dir := getenv("XDG_CONFIG_HOME"); dir != "" {
		return filepath.Join(dir, "capstan", "config"), nil
	}
	home := getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("find the configuration file (set --config): %w", err)
		}
	}
	return filepath.Join(home, ".config", "capstan", "config"), nil
}

// readConfig reads the configuration file; a missing one is empty.
func readConfig(path string) (*localConfig, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &localConfig{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var c localConfig
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return &c, nil
}

// writeConfig writes the configuration file readable by its owner only: it
// holds session tokens.
func writeConfig(path string, c *localConfig) error {
	data, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// CreateTemp makes the file 0600 already; say so for the reader.
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// context returns the named context, or the current one when name is
// empty, with its server and user.
func (c *localConfig) context(name string) (contextRef, serverEntry, userEntry, error) {
	if name == "" {
		name = c.CurrentContext
	}
	if name == "" {
		return contextRef{}, serverEntry{}, userEntry{}, errors.New("no server given and no current context: run `capstan login SERVER` or pass --server")
	}
	i := slices.IndexFunc(c.Contexts, func(x contextRef) bool { return x.Name == name })
	if i < 0 {
		return contextRef{}, serverEntry{}, userEntry{}, fmt.Errorf("context %q not found", name)
	}
	ctx := c.Contexts[i]
	var srv serverEntry
	if j := slices.IndexFunc(c.Servers, func(x serverEntry) bool { return x.Server == ctx.Server }); j >= 0 {
		srv = c.Servers[j]
	} else {
		srv = serverEntry{Server: ctx.Server}
	}
	var user userEntry
	if j := slices.IndexFunc(c.Users, func(x userEntry) bool { return x.Name == ctx.User }); j >= 0 {
		user = c.Users[j]
	}
	return ctx, srv, user, nil
}

// login records a session: the server, a user holding token, and a context
// of name joining them, which becomes the current one.
func (c *localConfig) login(name string, srv serverEntry, token string) {
	upsert(&c.Servers, srv, func(x serverEntry) bool { return x.Server == srv.Server })
	upsert(&c.Users, userEntry{Name: name, AuthToken: token}, func(x userEntry) bool { return x.Name == name })
	upsert(&c.Contexts, contextRef{Name: name, Server: srv.Server, User: name}, func(x contextRef) bool { return x.Name == name })
	c.CurrentContext = name
}

// setSession records the tokens of a user: an SSO session and its
// refresh token.
func (c *localConfig) setSession(user, token, refresh string) {
	for i := range c.Users {
		if c.Users[i].Name == user {
			c.Users[i].AuthToken, c.Users[i].RefreshToken = token, refresh
		}
	}
}

// logout forgets the token of the named context's user, keeping the context
// so that a later login finds the server again.
func (c *localConfig) logout(name string) error {
	ctx, _, _, err := c.context(name)
	if err != nil {
		return err
	}
	for i := range c.Users {
		if c.Users[i].Name == ctx.User {
			c.Users[i].AuthToken, c.Users[i].RefreshToken = "", ""
		}
	}
	return nil
}

// use makes the named context the current one.
func (c *localConfig) use(name string) error {
	if !slices.ContainsFunc(c.Contexts, func(x contextRef) bool { return x.Name == name }) {
		return fmt.Errorf("context %q not found", name)
	}
	c.CurrentContext = name
	return nil
}

// upsert replaces the first element of s that match selects with v, or
// appends v.
func upsert[S ~[]T, T any](s *S, v T, match func(T) bool) {
	if i := slices.IndexFunc(*s, match); i >= 0 {
		(*s)[i] = v
		return
	}
	*s = append(*s, v)
}

// remove deletes the named context and its user; the current context, if
// it was that one, becomes none.
func (c *localConfig) remove(name string) error {
	ctx, _, _, err := c.context(name)
	if err != nil {
		return err
	}
	c.Contexts = slices.DeleteFunc(c.Contexts, func(x contextRef) bool { return x.Name == name })
	if !slices.ContainsFunc(c.Contexts, func(x contextRef) bool { return x.User == ctx.User }) {
		c.Users = slices.DeleteFunc(c.Users, func(x userEntry) bool { return x.Name == ctx.User })
	}
	if c.CurrentContext == name {
		c.CurrentContext = ""
	}
	return nil
}
