package source

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// TestHundredAppsOnePollOneLsRemote fetches the sources of 100 Applications
// that share one repository, over two poll intervals, and counts what the
// Git server saw: one ls-remote per interval, and one fetch, since the
// commit did not change.
func TestHundredAppsOnePollOneLsRemote(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	repo := srv.NewRepo(t, "apps")
	files := map[string]string{}
	for i := range 100 {
		files[fmt.Sprintf("app-%03d/cm.yaml", i)] = fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-%03d}\n", i)
	}
	repo.Commit(t, "main", files, "100 apps")

	clock := clocktesting.NewFakePassiveClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	git, err := NewGit(GitOptions{CacheDir: t.TempDir(), PollInterval: 3 * time.Minute, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	f := &Fetcher{Git: git}
	poll := func() {
		t.Helper()
		var g errgroup.Group
		g.SetLimit(16)
		for i := range 100 {
			g.Go(func() error {
				src := v1alpha1.ApplicationSource{RepoURL: srv.RepoURL("apps"), TargetRevision: "main", Path: fmt.Sprintf("app-%03d", i)}
				got, err := f.Fetch(t.Context(), Repository{URL: src.RepoURL, Username: srv.Username, Password: srv.Password}, src)
				if err != nil {
					return err
				}
				if _, err := os.Stat(filepath.Join(got.Root, src.Path, "cm.yaml")); err != nil {
					return fmt.Errorf("app %d: %w", i, err)
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	poll()
	clock.SetTime(clock.Now().Add(3*time.Minute + time.Second))
	poll()
	got := srv.Counts("apps")
	t.Logf("100 apps, 2 polls: %d ls-remote, %d fetch", got.LsRemote, got.Fetch)
	// A fetch starts with its own ref advertisement: one per fetch on top
	// of the one ls-remote per interval.
	if want := 2 + got.Fetch; got.LsRemote != want {
		t.Errorf("ls-remote requests = %d, want %d (one per interval plus one per fetch)", got.LsRemote, want)
	}
	if got.Fetch != 1 {
		t.Errorf("fetches = %d, want 1: the commit did not change", got.Fetch)
	}
}

// A Git source's fetch gives the Git hash of its path, which keys its
// render; a path the commit lacks gives none, and no error: the render
// reports it. Nor does a path that is a link: its hash is the link's, and
// would not change with the files the render reads through it.
func TestFetchGivesThePathHash(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	repo := srv.NewRepo(t, "apps")
	w := newWorkTree(t, repo)
	w.write("apps/one/cm.yaml", "kind: ConfigMap\n", 0o644)
	w.write("apps/two/cm.yaml", "kind: Secret\n", 0o644)
	w.link("apps/linked", "one")
	sha := w.push("two apps")
	git, err := NewGit(GitOptions{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	f := &Fetcher{Git: git}
	creds := Repository{URL: srv.RepoURL("apps"), Username: srv.Username, Password: srv.Password}
	for _, tc := range []struct{ path, want string }{
		{"apps/one", repo.RevParse(t, sha+":apps/one")},
		{"./apps/two/", repo.RevParse(t, sha+":apps/two")},
		{"", repo.RevParse(t, sha+":")},
		{"apps/three", ""},
		{"apps/linked", ""},
	} {
		got, err := f.Fetch(t.Context(), creds, v1alpha1.ApplicationSource{RepoURL: creds.URL, TargetRevision: "main", Path: tc.path})
		if err != nil {
			t.Fatalf("path %q: %v", tc.path, err)
		}
		if got.PathHash != tc.want || got.Revision != sha {
			t.Errorf("path %q: PathHash %q at %s, want %q at %s", tc.path, got.PathHash, got.Revision, tc.want, sha)
		}
	}
}
