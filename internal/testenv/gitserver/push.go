package gitserver

import (
	"os"
	"path/filepath"
	"testing"
)

// AllowPush lets the HTTP server accept pushes to the repository (git
// http-backend refuses them by default).
func (r *Repo) AllowPush(t testing.TB) {
	t.Helper()
	r.git(t, nil, nil, "config", "http.receivepack", "true")
}

// Protect makes the repository refuse every push to branch, as a hosting
// service's branch protection does, through a pre-receive hook.
func (r *Repo) Protect(t testing.TB, branch string) {
	t.Helper()
	hook := "#!/bin/sh\nwhile read old new ref; do\n  if [ \"$ref\" = \"refs/heads/" + branch + "\" ]; then\n    echo \"branch " + branch + " is protected\" >&2\n    exit 1\n  fi\ndone\n"
	dir := filepath.Join(r.Dir, "hooks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pre-receive"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
}

// Show returns the content of a file at a revision of the repository.
func (r *Repo) Show(t testing.TB, rev, name string) string {
	t.Helper()
	return r.try("show", rev+":"+name)
}

// LastCommit returns the author and message of the commit at rev, as
// "Name <email>\n\nmessage".
func (r *Repo) LastCommit(t testing.TB, rev string) string {
	t.Helper()
	return r.git(t, nil, nil, "log", "-1", "--format=%an <%ae>%n%n%B", rev)
}

// Files lists the files of the tree at rev.
func (r *Repo) Files(t testing.TB, rev string) string {
	t.Helper()
	return r.git(t, nil, nil, "ls-tree", "-r", "--name-only", rev)
}
