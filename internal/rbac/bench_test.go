package rbac

import (
	"context"
	"strconv"
	"testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// benchDecide decides, as a list's filter does, whether claims may get
// Application team-a/web-<i> of a project with a role, for i from 0 to
// the benchmark's count, over and over when warm.
func benchDecide(b *testing.B, c Claims, warm bool) {
	cfg, err := ParseConfig(map[string]string{"policy.default": "role:readonly", "policy.csv": "p, role:team-a, applications, *, team-a/*, allow\np, role:team-a, applications, delete, team-a/prod-*, deny\ng, alice, role:team-a"})
	if err != nil {
		b.Fatal(err)
	}
	p, err := newPolicy(cfg)
	if err != nil {
		b.Fatal(err)
	}
	proj := appProject("team-a", v1alpha1.ProjectRole{Name: "ci", Policies: []string{"p, proj:team-a:ci, applications, get, team-a/*, allow"}, Groups: []string{"g"}})
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if !warm {
			i++
		}
		p.decide(ctx, proj, c, request{"applications", "sync", "team-a/web-" + strconv.Itoa(i)})
	}
}

func BenchmarkDecideCold(b *testing.B) {
	benchDecide(b, Claims{Subject: "alice", Groups: []string{"x", "g"}}, false)
}

func BenchmarkDecideWarm(b *testing.B) {
	benchDecide(b, Claims{Subject: "alice", Groups: []string{"x", "g"}}, true)
}
