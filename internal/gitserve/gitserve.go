// Package gitserve serves bare Git repositories over smart HTTP through
// git http-backend, counting the requests each repository receives. It is
// the Git server of `make demo`, the benchmark and the tests: a real Git
// server, not a simulation of one.
package gitserve

import (
	"fmt"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// Counts are the Git requests a server received for one repository.
type Counts struct {
	// LsRemote counts ref advertisements: GET info/refs. Every fetch
	// starts with one too.
	LsRemote int
	// Fetch counts upload-pack requests (POST git-upload-pack).
	Fetch int
	// Sessions counts SSH upload-pack sessions, each either an ls-remote
	// or a fetch; the HTTP handler leaves it at zero.
	Sessions int
}

// Counter records Counts by repository name.
type Counter struct {
	mu     sync.Mutex
	counts map[string]Counts
}

// Add changes the counts of the repository name with f.
func (c *Counter) Add(name string, f func(*Counts)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[string]Counts{}
	}
	n := c.counts[name]
	f(&n)
	c.counts[name] = n
}

// Counts returns the requests received so far for the repository name.
func (c *Counter) Counts(name string) Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[name]
}

// Handler serves the bare repositories under Root: a repository
// Root/<name>.git is at /<name>.git.
type Handler struct {
	Counter
	// Root holds the bare repositories.
	Root string
	// Username and Password are the basic-auth credentials required; both
	// empty means no authentication.
	Username, Password string
	// Token, when set, is accepted as "Authorization: Bearer <Token>"
	// instead of basic auth.
	Token string

	backend *cgi.Handler
}

// NewHandler serves the repositories under root with git http-backend.
func NewHandler(root string) (*Handler, error) {
	gitPath, err := exec.LookPath("git")
	if err != nil {
		return nil, fmt.Errorf("gitserve: git is not installed: %w", err)
	}
	h := &Handler{Root: root}
	h.backend = &cgi.Handler{
		Path: gitPath,
		Args: []string{"http-backend"},
		Root: "/",
		Env: []string{
			"GIT_PROJECT_ROOT=" + root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_GLOBAL=/dev/null",
			"GIT_CONFIG_NOSYSTEM=1",
		},
		InheritEnv: []string{"PATH"},
		Stderr:     os.Stderr,
	}
	return h, nil
}

// ServeHTTP counts the request, checks credentials and hands it to git.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.record(r)
	if h.Username != "" || h.Password != "" {
		u, p, ok := r.BasicAuth()
		bearer := h.Token != "" && r.Header.Get("Authorization") == "Bearer "+h.Token
		if !bearer && (!ok || u != h.Username || p != h.Password) {
			w.Header().Set("WWW-Authenticate", `Basic realm="capstan"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
	}
	h.backend.ServeHTTP(w, r)
}

// record counts a request by repository and kind.
func (h *Handler) record(r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasSuffix(p, "/info/refs") && r.URL.Query().Get("service") == "git-upload-pack":
		h.Add(RepoName(strings.TrimSuffix(p, "/info/refs")), func(c *Counts) { c.LsRemote++ })
	case strings.HasSuffix(p, "/git-upload-pack") && r.Method == http.MethodPost:
		h.Add(RepoName(strings.TrimSuffix(p, "/git-upload-pack")), func(c *Counts) { c.Fetch++ })
	}
}

// RepoName is the repository a URL path names: "/team/app.git" is
// "team/app".
func RepoName(p string) string {
	return strings.TrimSuffix(strings.Trim(p, "/"), ".git")
}
