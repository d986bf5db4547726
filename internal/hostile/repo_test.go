package hostile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// tree is the content of a commit: files by path, and symbolic links by
// path with their targets. Hostile trees need what gitserver.Repo.Commit
// cannot write (links, hundreds of thousands of entries, odd names), so
// commits go through git fast-import.
type tree struct {
	files map[string]string
	links map[string]string
	// stream, when set, writes more files: for trees too large to hold as
	// one map. It calls add once per file.
	stream func(add func(path string, data []byte))
}

// repo is a bare repository on one of the suite's Git servers.
type repo struct {
	*gitserver.Repo
	url string
}

// newRepo creates an empty repository on srv, named after the test.
func newRepo(t *testing.T, srv *gitServer, suffix string) *repo {
	t.Helper()
	name := repoName(t.Name() + "-" + suffix)
	r := gitserver.NewRepo(t, srv.Root, name)
	return &repo{Repo: r, url: srv.url(name)}
}

// repoName makes a test name into a repository name.
func repoName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// commit makes tr the whole tree of a new commit on main, HEAD's branch.
func (r *repo) commit(t *testing.T, tr tree) {
	t.Helper()
	cmd := exec.Command("git", "--git-dir", r.Dir, "fast-import", "--quiet", "--done")
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(in, 1<<20)
	werr := r.writeCommit(w, tr)
	if werr == nil {
		werr = w.Flush()
	}
	in.Close()
	if err := cmd.Wait(); err != nil || werr != nil {
		t.Fatalf("git fast-import: %v %v\n%s", err, werr, stderr.String())
	}
}

func (r *repo) writeCommit(w *bufio.Writer, tr tree) error {
	msg := "hostile"
	fmt.Fprintf(w, "commit refs/heads/main\ncommitter capstan test <test@capstan.invalid> 1767225600 +0000\ndata %d\n%s\n", len(msg), msg)
	if out, err := exec.Command("git", "--git-dir", r.Dir, "rev-parse", "--verify", "--quiet", "refs/heads/main").Output(); err == nil && len(out) > 0 {
		fmt.Fprintf(w, "from %s\n", strings.TrimSpace(string(out)))
	}
	w.WriteString("deleteall\n")
	add := func(mode, path string, data []byte) {
		fmt.Fprintf(w, "M %s inline %s\ndata %d\n", mode, quotePath(path), len(data))
		w.Write(data)
		w.WriteByte('\n')
	}
	for _, p := range sortedKeys(tr.files) {
		add("100644", p, []byte(tr.files[p]))
	}
	for _, p := range sortedKeys(tr.links) {
		add("120000", p, []byte(tr.links[p]))
	}
	if tr.stream != nil {
		tr.stream(func(path string, data []byte) { add("100644", path, data) })
	}
	_, err := io.WriteString(w, "\ndone\n")
	return err
}

// quotePath writes a path as fast-import reads it: C-style quoted when it
// holds a quote, a backslash or a line break.
func quotePath(p string) string {
	if !strings.ContainsAny(p, "\"\\\n") {
		return p
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(p) + `"`
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
