package source

import (
	"errors"
	"testing"
	"time"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// A private repository fetched by one project must not be readable by an
// Application without its credentials: every request under another identity
// reaches the server, which refuses it, whatever the cache holds.
func TestGitPrivateRepositoryNotSharedAcrossIdentities(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	f := newFixture(t, srv.NewRepo(t, "private"))
	g, clk := testGit(t, GitOptions{PollInterval: time.Hour})
	owner := Repository{URL: srv.RepoURL("private"), Username: srv.Username, Password: srv.Password}
	fetcher := &Fetcher{Git: g}

	got, err := fetcher.Fetch(t.Context(), owner, v1alpha1.ApplicationSource{RepoURL: owner.URL, TargetRevision: "main"})
	if err != nil {
		t.Fatalf("fetch with credentials: %v", err)
	}
	if got.Revision != f.main {
		t.Fatalf("fetch with credentials resolved %s, want %s", got.Revision, f.main)
	}
	if _, err := g.TreeHash(t.Context(), owner, f.main, "apps"); err != nil {
		t.Fatalf("tree hash with credentials: %v", err)
	}

	others := map[string]Repository{
		"anonymous":                {URL: owner.URL},
		"wrong password":           {URL: owner.URL, Username: srv.Username, Password: "guess"},
		"same URL, other spelling": {URL: srv.URL + "/private"},
	}
	for name, other := range others {
		t.Run(name, func(t *testing.T) {
			for _, rev := range []string{"main", f.main} { // by branch, and pinned
				clk.SetTime(clk.Now().Add(failureTTL)) // past this identity's own remembered refusal
				before := srv.Counts("private")
				_, err := fetcher.Fetch(t.Context(), other, v1alpha1.ApplicationSource{RepoURL: other.URL, TargetRevision: rev})
				if !errors.Is(err, ErrAuth) {
					t.Errorf("fetch %s without the owner's credentials: %v, want an authentication error", rev, err)
				}
				if after := srv.Counts("private"); after == before {
					t.Errorf("fetch %s without the owner's credentials was answered from the cache", rev)
				}
			}
			if _, err := g.TreeHash(t.Context(), other, f.main, "apps"); !errors.Is(err, ErrAuth) {
				t.Errorf("tree hash without the owner's credentials: %v, want an authentication error", err)
			}
		})
	}

	// The owner still reads from its cache: no request for what it has.
	before := srv.Counts("private")
	if _, err := fetcher.Fetch(t.Context(), owner, v1alpha1.ApplicationSource{RepoURL: owner.URL, TargetRevision: "main"}); err != nil {
		t.Fatalf("fetch with credentials again: %v", err)
	}
	if after := srv.Counts("private"); after != before {
		t.Errorf("a cached fetch with credentials sent requests: %+v, before %+v", after, before)
	}
}

// A failed ls-remote is remembered briefly, but only for the identity that
// got it: another identity's request is not refused on its account.
func TestGitFailedListingNotSharedAcrossIdentities(t *testing.T) {
	srv := gitserver.NewHTTP(t)
	f := newFixture(t, srv.NewRepo(t, "private"))
	g, _ := testGit(t, GitOptions{})
	anonymous := Repository{URL: srv.RepoURL("private")}
	owner := Repository{URL: anonymous.URL, Username: srv.Username, Password: srv.Password}

	if _, err := g.Resolve(t.Context(), anonymous, "main"); !errors.Is(err, ErrAuth) {
		t.Fatalf("resolve without credentials: %v, want an authentication error", err)
	}
	sha, err := g.Resolve(t.Context(), owner, "main")
	if err != nil {
		t.Fatalf("resolve with credentials after a refused anonymous one: %v", err)
	}
	if sha != f.main {
		t.Errorf("resolve with credentials = %s, want %s", sha, f.main)
	}
	// And the other way round: the owner's answer is not the anonymous one's.
	before := srv.Counts("private").LsRemote
	if _, err := g.Resolve(t.Context(), anonymous, "main"); !errors.Is(err, ErrAuth) {
		t.Fatalf("resolve without credentials again: %v, want an authentication error", err)
	}
	if got := srv.Counts("private").LsRemote - before; got != 0 {
		t.Errorf("remembered anonymous failure: %d new listings, want 0", got)
	}
}
