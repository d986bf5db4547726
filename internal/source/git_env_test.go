package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// testGit is a Git on a fresh cache with a clock the test moves.
func testGit(t testing.TB, opts GitOptions) (*Git, *clocktesting.FakePassiveClock) {
	t.Helper()
	clk := clocktesting.NewFakePassiveClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if opts.CacheDir == "" {
		opts.CacheDir = t.TempDir()
	}
	if opts.Clock == nil {
		opts.Clock = clk
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = time.Minute
	}
	g, err := NewGit(opts)
	if err != nil {
		t.Fatal(err)
	}
	return g, clk
}

// fixture is a repository with two commits on main, a branch, an annotated
// and a lightweight tag.
type fixture struct {
	repo             *gitserver.Repo
	first, main, dev string
	annotated, light string // tag names
	files            map[string]string
}

func newFixture(t *testing.T, repo *gitserver.Repo) fixture {
	t.Helper()
	f := fixture{repo: repo, annotated: "v1.0.0", light: "v0.9.0"}
	f.first = repo.Commit(t, "main", map[string]string{"README.md": "first\n"}, "first")
	f.files = map[string]string{
		"README.md":              "hello\n",
		"apps/guestbook/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: guestbook\n",
		"apps/other/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n",
	}
	f.main = repo.Commit(t, "main", f.files, "second")
	f.dev = repo.Commit(t, "dev", map[string]string{"dev.txt": "dev\n"}, "dev")
	repo.Tag(t, f.annotated, f.main, true)
	repo.Tag(t, f.light, f.first, false)
	return f
}

// readTree returns the regular files under dir by slash path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustContain(t *testing.T, msg string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("error %q does not mention %q", msg, p)
		}
	}
}
