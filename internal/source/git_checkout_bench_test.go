package source

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// BenchmarkGitPush times what a push changing one file costs in a
// repository of 10,000 directories, one per Application as in the
// benchmark's W2. "checkout" is resolving the branch and checking the new
// commit out: "incremental" checked out the commit before, as a running
// controller has; "whole" starts from an empty cache every time, which
// fetches the commit shallow and writes its whole tree. "tree hashes"
// asks for the tree hash of every Application's directory at the new
// commit, as the passes the push brings about do to key their renders.
func BenchmarkGitPush(b *testing.B) {
	const apps = 10_000
	srv := gitserver.NewHTTP(b)
	served := srv.NewRepo(b, "apps")
	repo := Repository{URL: srv.RepoURL("apps"), Username: srv.Username, Password: srv.Password}
	w := newWorkTree(b, served)
	doc := strings.Repeat("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n---\n", 5)
	for i := range apps {
		p := w.path(fmt.Sprintf("apps/app-%05d/manifests.yaml", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	w.push("10,000 apps")
	ctx := context.Background()
	push := 0
	change := func() {
		push++
		w.write(fmt.Sprintf("apps/app-%05d/manifests.yaml", push%apps), doc+fmt.Sprintf("# push %d\n", push), 0o644)
		w.push(fmt.Sprintf("push %d", push))
	}
	checkout := func(g *Git) {
		sha, err := g.Resolve(ctx, repo, "main")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := g.Checkout(ctx, repo, sha); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("checkout incremental", func(b *testing.B) {
		g, clk := testGit(b, GitOptions{})
		checkout(g)
		for b.Loop() {
			b.StopTimer()
			change()
			clk.SetTime(clk.Now().Add(2 * time.Minute)) // the refs are asked again
			b.StartTimer()
			checkout(g)
		}
	})
	b.Run("checkout whole", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			change()
			g, _ := testGit(b, GitOptions{})
			b.StartTimer()
			checkout(g)
		}
	})
	b.Run("tree hashes", func(b *testing.B) {
		g, clk := testGit(b, GitOptions{})
		checkout(g)
		for b.Loop() {
			b.StopTimer()
			change()
			clk.SetTime(clk.Now().Add(2 * time.Minute))
			sha, err := g.Resolve(ctx, repo, "main")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := g.Checkout(ctx, repo, sha); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			for i := range apps {
				if _, err := g.TreeHash(ctx, repo, sha, fmt.Sprintf("apps/app-%05d", i)); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
