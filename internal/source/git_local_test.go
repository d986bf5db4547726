package source

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// Repositories on the controller's own disk are refused unless the operator
// allows them, by every way go-git would read one, and the error says how to
// allow them.
func TestGitFileRepositoriesRefusedByDefault(t *testing.T) {
	root := t.TempDir()
	f := newFixture(t, gitserver.NewRepo(t, root, "app"))
	// A bare relative name is a path to go-git too.
	t.Chdir(filepath.Dir(f.repo.Dir))
	rel := filepath.Base(f.repo.Dir)
	g, _ := testGit(t, GitOptions{})
	fetcher := &Fetcher{Git: g}
	for _, url := range []string{f.repo.URL(), "FILE://" + f.repo.Dir, f.repo.Dir, rel} {
		t.Run(url, func(t *testing.T) {
			repo := Repository{URL: url}
			for _, rev := range []string{"main", f.main} {
				_, err := fetcher.Fetch(t.Context(), repo, v1alpha1.ApplicationSource{RepoURL: url, TargetRevision: rev})
				if !errors.Is(err, ErrFileRepositoryRefused) {
					t.Fatalf("fetch %s: %v, want ErrFileRepositoryRefused", rev, err)
				}
				mustContain(t, err.Error(), url, "--allow-file-repositories", "capstan.allowFileRepositories", "argocd-cm")
			}
			if _, err := g.Checkout(t.Context(), repo, f.main); !errors.Is(err, ErrFileRepositoryRefused) {
				t.Errorf("checkout: %v, want ErrFileRepositoryRefused", err)
			}
			if _, err := g.TreeHash(t.Context(), repo, f.main, ""); !errors.Is(err, ErrFileRepositoryRefused) {
				t.Errorf("tree hash: %v, want ErrFileRepositoryRefused", err)
			}
		})
	}
	allowed, _ := testGit(t, GitOptions{AllowFileRepositories: true})
	got, err := (&Fetcher{Git: allowed}).Fetch(t.Context(), Repository{URL: f.repo.URL()}, v1alpha1.ApplicationSource{RepoURL: f.repo.URL(), TargetRevision: "main"})
	if err != nil || got.Revision != f.main {
		t.Fatalf("fetch with file repositories allowed = %+v, %v; want %s", got, err, f.main)
	}
}
