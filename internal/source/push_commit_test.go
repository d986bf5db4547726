package source

import (
	"context"
	"errors"
	"io/fs"
	"testing"

	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// setFile is an Edit that writes content to name.
func setFile(name, content string) func(func(string) ([]byte, error)) (map[string][]byte, error) {
	return func(func(string) ([]byte, error)) (map[string][]byte, error) {
		return map[string][]byte{name: []byte(content)}, nil
	}
}

func TestCommitPushesOverHTTP(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	repo := srv.NewRepo(t, "app")
	repo.AllowPush(t)
	repo.Commit(t, "main", map[string]string{"app/values.yaml": "tag: 1\n"}, "first")
	g, _ := testGit(t, GitOptions{})
	creds := Repository{URL: srv.RepoURL("app"), Username: srv.Username, Password: srv.Password}

	var read string
	sha, err := g.Commit(context.Background(), creds, Commit{
		Message: "bump", AuthorName: "bot", AuthorEmail: "bot@example.com",
		Edit: func(rd func(string) ([]byte, error)) (map[string][]byte, error) {
			b, err := rd("app/values.yaml")
			read = string(b)
			return map[string][]byte{"app/values.yaml": []byte("tag: 2\n")}, err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if read != "tag: 1\n" {
		t.Errorf("Edit read %q, want the branch's file", read)
	}
	if got := repo.RevParse(t, "refs/heads/main"); got != sha {
		t.Errorf("main is at %s, want the pushed commit %s", got, sha)
	}
	if got := repo.Show(t, "main", "app/values.yaml"); got != "tag: 2" {
		t.Errorf("values.yaml on main = %q", got)
	}

	// The same content again changes nothing.
	_, err = g.Commit(context.Background(), creds, Commit{Message: "again", Edit: setFile("app/values.yaml", "tag: 2\n")})
	if !errors.Is(err, ErrNothingToCommit) {
		t.Errorf("unchanged content: err = %v, want ErrNothingToCommit", err)
	}
	if got := repo.RevParse(t, "refs/heads/main"); got != sha {
		t.Errorf("an unchanged edit moved main to %s", got)
	}
}

func TestCommitToNewAndExistingBranch(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	repo := srv.NewRepo(t, "app")
	repo.AllowPush(t)
	base := repo.Commit(t, "main", map[string]string{"a.txt": "a\n"}, "first")
	g, _ := testGit(t, GitOptions{})
	creds := Repository{URL: srv.RepoURL("app"), Username: srv.Username, Password: srv.Password}
	ctx := context.Background()

	first, err := g.Commit(ctx, creds, Commit{Base: "main", Branch: "updates", Message: "one", Edit: setFile("b.txt", "b\n")})
	if err != nil {
		t.Fatal(err)
	}
	if got := repo.RevParse(t, "updates^"); got != base {
		t.Errorf("new branch's parent = %s, want main's tip %s", got, base)
	}
	if got := repo.RevParse(t, "refs/heads/main"); got != base {
		t.Errorf("main moved to %s", got)
	}
	second, err := g.Commit(ctx, creds, Commit{Base: "main", Branch: "updates", Message: "two", Edit: setFile("c.txt", "c\n")})
	if err != nil {
		t.Fatal(err)
	}
	if got := repo.RevParse(t, "updates^"); got != first {
		t.Errorf("second commit's parent = %s, want the branch's tip %s (%s)", got, first, second)
	}
	if repo.Show(t, "updates", "b.txt") != "b" {
		t.Error("the existing branch's file was lost")
	}
}

func TestCommitRefusedPushWritesNothing(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	repo := srv.NewRepo(t, "app")
	repo.AllowPush(t)
	repo.Protect(t, "main")
	tip := repo.Commit(t, "main", map[string]string{"a.txt": "a\n"}, "first")
	g, _ := testGit(t, GitOptions{})
	creds := Repository{URL: srv.RepoURL("app"), Username: srv.Username, Password: srv.Password}

	_, err := g.Commit(context.Background(), creds, Commit{Message: "x", Edit: setFile("a.txt", "b\n")})
	if err == nil {
		t.Fatal("push to a protected branch succeeded")
	}
	mustContain(t, err.Error(), srv.RepoURL("app"), "push", "declined")
	if got := repo.RevParse(t, "refs/heads/main"); got != tip {
		t.Errorf("main moved to %s", got)
	}
}

func TestCommitRejectsNamesOutsideTheTree(t *testing.T) {
	repo := gitserver.NewRepo(t, t.TempDir(), "app")
	repo.Commit(t, "main", map[string]string{"a.txt": "a\n"}, "first")
	g, _ := testGit(t, GitOptions{AllowFileRepositories: true})
	for _, name := range []string{"../escape", "/etc/passwd", ".git/config", ""} {
		_, err := g.Commit(context.Background(), Repository{URL: repo.URL()}, Commit{Message: "x", Edit: setFile(name, "x")})
		if err == nil {
			t.Errorf("writing %q succeeded", name)
		}
	}
	var missing error
	g.Commit(context.Background(), Repository{URL: repo.URL()}, Commit{Message: "x", Edit: func(rd func(string) ([]byte, error)) (map[string][]byte, error) {
		_, missing = rd("nope.yaml")
		return nil, nil
	}})
	if !errors.Is(missing, fs.ErrNotExist) {
		t.Errorf("reading a missing file: %v, want fs.ErrNotExist", missing)
	}
}

func TestCommitRefusesFileRepositoriesByDefault(t *testing.T) {
	repo := gitserver.NewRepo(t, t.TempDir(), "app")
	repo.Commit(t, "main", map[string]string{"a.txt": "a\n"}, "first")
	g, _ := testGit(t, GitOptions{})
	_, err := g.Commit(context.Background(), Repository{URL: repo.URL()}, Commit{Message: "x", Edit: setFile("a.txt", "b\n")})
	if !errors.Is(err, ErrFileRepositoryRefused) {
		t.Errorf("err = %v, want ErrFileRepositoryRefused", err)
	}
}
