package source

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// pushTree commits files and symbolic links (path → target) as the whole
// tree of branch main of repo, with the git program, as a user would.
func pushTree(t *testing.T, repo *gitserver.Repo, files, links map[string]string) {
	t.Helper()
	work := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", work, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	for name, content := range files {
		p := filepath.Join(work, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, target := range links {
		p := filepath.Join(work, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	git("add", "--all")
	git("commit", "-q", "-m", "tree")
	git("push", "-q", "--force", repo.Dir, "main")
}

// TestGitCheckoutRefusesLinksOutOfTheTree checks that a checkout refuses a
// symbolic link that leaves the tree once every link along it is
// followed, though each target alone stays inside, and keeps links that
// stay inside.
func TestGitCheckoutRefusesLinksOutOfTheTree(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	files := map[string]string{"cm.yaml": "a: b\n", "a/b/keep.txt": "x\n"}
	tests := []struct {
		name  string
		links map[string]string
		want  string // "" for a checkout that succeeds
	}{
		{
			name:  "a chain of relative links to the directory above the tree",
			links: map[string]string{"sub/up": "..", "sub/x": "up/.."},
			want:  "file sub/x: symbolic link to up/.. leads outside the repository",
		},
		{
			name:  "a chain of relative links to a file above the tree",
			links: map[string]string{"a/b/up2": "../..", "a/b/leak": "up2/../secret"},
			want:  "file a/b/leak: symbolic link to up2/../secret leads outside the repository",
		},
		{
			name:  "a link through a linked directory deeper down",
			links: map[string]string{"a/b/c/deep": "../../..", "a/e": "b/c/deep/../x"},
			want:  "file a/e: symbolic link to b/c/deep/../x leads outside the repository",
		},
		{
			name:  "a link that climbs out directly",
			links: map[string]string{"sub/x": "../../etc/passwd"},
			want:  "points outside the repository",
		},
		{
			name:  "links that stay inside",
			links: map[string]string{"sub/up": "..", "sub/cm.yaml": "up/cm.yaml", "a/d": "b", "a/keep": "d/keep.txt", "dangling": "nowhere"},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "links" + string(rune('a'+i))
			pushTree(t, srv.NewRepo(t, name), files, tt.links)
			g, _ := testGit(t, GitOptions{})
			repo := Repository{URL: srv.RepoURL(name), Username: srv.Username, Password: srv.Password}
			sha, err := g.Resolve(t.Context(), repo, "main")
			if err != nil {
				t.Fatal(err)
			}
			dir, err := g.Checkout(t.Context(), repo, sha)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Checkout: %v", err)
				}
				data, err := os.ReadFile(filepath.Join(dir, "sub", "cm.yaml"))
				if err != nil || string(data) != files["cm.yaml"] {
					t.Errorf("sub/cm.yaml through links = %q, %v; want the tree's cm.yaml", data, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Checkout succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Checkout error %q\ndoes not contain %q", err, tt.want)
			}
		})
	}
}
