// Package gitserver starts real Git servers for tests, on 127.0.0.1: smart
// HTTP(S) through git http-backend with basic auth, and SSH with public-key
// auth running git-upload-pack, both counting the requests each repository
// receives. Repositories are bare repositories under a directory, written
// with the git command line; file:// tests use the same repositories without
// a server. It is for tests only.
package gitserver

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// gitEnv isolates the git command line from the machine's configuration and
// gives commits a fixed author and date, so SHAs are reproducible.
var gitEnv = []string{
	"GIT_CONFIG_GLOBAL=/dev/null",
	"GIT_CONFIG_NOSYSTEM=1",
	"GIT_AUTHOR_NAME=capstan test",
	"GIT_AUTHOR_EMAIL=test@capstan.invalid",
	"GIT_COMMITTER_NAME=capstan test",
	"GIT_COMMITTER_EMAIL=test@capstan.invalid",
	"GIT_AUTHOR_DATE=2026-01-01T00:00:00Z",
	"GIT_COMMITTER_DATE=2026-01-01T00:00:00Z",
}

// Repo is a bare repository on disk.
type Repo struct {
	// Name is the repository's name under its root, without ".git".
	Name string
	// Dir is the bare repository's directory, "<root>/<name>.git".
	Dir string
}

// NewRepo creates an empty bare repository <root>/<name>.git whose default
// branch is main.
func NewRepo(t testing.TB, root, name string) *Repo {
	t.Helper()
	r := &Repo{Name: name, Dir: filepath.Join(root, name+".git")}
	run(t, "", nil, "init", "--quiet", "--bare", "--initial-branch=main", r.Dir)
	return r
}

// URL is the repository's file:// URL.
func (r *Repo) URL() string { return "file://" + r.Dir }

// Commit adds a commit on branch (created if missing) whose tree is the
// branch's previous tree with files written over it; an empty content
// deletes the file. It returns the commit SHA.
func (r *Repo) Commit(t testing.TB, branch string, files map[string]string, message string) string {
	t.Helper()
	index := filepath.Join(t.TempDir(), "index")
	env := []string{"GIT_INDEX_FILE=" + index}
	parent := r.try("rev-parse", "--verify", "--quiet", "refs/heads/"+branch+"^{commit}")
	if parent != "" {
		r.git(t, env, nil, "read-tree", parent)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		content := files[name]
		if content == "" {
			// Mode 0 removes the path; a bare repository has no work tree
			// for --force-remove to look at.
			r.git(t, env, []byte("0 0000000000000000000000000000000000000000\t"+name+"\n"), "update-index", "--index-info")
			continue
		}
		blob := r.git(t, env, []byte(content), "hash-object", "-w", "--stdin")
		r.git(t, env, nil, "update-index", "--add", "--cacheinfo", "100644,"+blob+","+name)
	}
	tree := r.git(t, env, nil, "write-tree")
	args := []string{"commit-tree", tree, "-m", message}
	if parent != "" {
		args = append(args, "-p", parent)
	}
	sha := r.git(t, env, nil, args...)
	r.git(t, nil, nil, "update-ref", "refs/heads/"+branch, sha)
	return sha
}

// Tag creates a tag name at rev: annotated when annotated is true.
func (r *Repo) Tag(t testing.TB, name, rev string, annotated bool) {
	t.Helper()
	if annotated {
		r.git(t, nil, nil, "tag", "-a", "-m", "tag "+name, name, rev)
		return
	}
	r.git(t, nil, nil, "tag", name, rev)
}

// SetHead points HEAD, the remote's default branch, at branch.
func (r *Repo) SetHead(t testing.TB, branch string) {
	t.Helper()
	r.git(t, nil, nil, "symbolic-ref", "HEAD", "refs/heads/"+branch)
}

// RevParse returns the object a revision names in the repository.
func (r *Repo) RevParse(t testing.TB, rev string) string {
	t.Helper()
	return r.git(t, nil, nil, "rev-parse", rev)
}

// git runs a git command in the bare repository and returns its trimmed
// standard output.
func (r *Repo) git(t testing.TB, env []string, stdin []byte, args ...string) string {
	t.Helper()
	return runIn(t, r.Dir, env, stdin, append([]string{"--git-dir", r.Dir}, args...)...)
}

// try is git without failing the test; it returns "" on error.
func (r *Repo) try(args ...string) string {
	cmd := exec.Command("git", append([]string{"--git-dir", r.Dir}, args...)...)
	cmd.Env = append(os.Environ(), gitEnv...)
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func run(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	return runIn(t, dir, env, nil, args...)
}

func runIn(t testing.TB, dir string, env []string, stdin []byte, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), gitEnv...), env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}
