package rbac

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// TestBatchAgreesWithDecide asks random questions of random policies,
// both as a batch and one by one, and fails on any answer that differs:
// a batch's shortcut must never change a decision. The pieces the
// policies are made of are few, so that patterns, projects and objects
// meet often: a pattern naming one Application of a project, a deny on a
// prefix, another project's name that starts like this one's.
func TestBatchAgreesWithDecide(t *testing.T) {
	const policies = 400
	shortcuts := 0
	for seed := range uint64(policies) {
		g := policyGen{rand.New(rand.NewPCG(seed, 13))}
		mode := MatchGlob
		if seed%3 == 2 {
			mode = MatchRegex
		}
		data := map[string]string{"policy.csv": g.policyCSV(mode), "policy.default": g.pick("", "", RoleReadonly, "role:r1")}
		if mode == MatchRegex {
			data["policy.matchMode"] = MatchRegex
		}
		cfg, err := ParseConfig(data)
		if err != nil {
			// A random regular expression may not compile.
			continue
		}
		// The batch and the reference each on their own compiled policy,
		// so that neither answers from the other's remembered decisions.
		p, err := newPolicy(cfg)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		exact, err := newPolicy(cfg)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		projects := g.projects(mode)
		lookup := func(_ context.Context, name string) (*v1alpha1.AppProject, error) {
			if name == "broken" {
				return nil, fmt.Errorf("project %s cannot be read", name)
			}
			return projects[name], nil
		}
		objects := g.objects()
		for range 6 {
			c, resource, action := g.claims(), g.pick(ResourceApplications, ResourceApplications, ResourceLogs, ResourceProjects), g.pick(ActionGet, ActionSync, ActionDelete, "update/apps/Deployment/ns/web")
			b := newBatch(context.Background(), p, lookup, c, resource, action)
			for _, obj := range objects {
				want := false
				if name := ProjectOf(resource, obj); name != "broken" {
					want = exact.decide(context.Background(), projects[name], c, request{resource, action, obj})
				}
				if got := b.Allows(obj); got != want {
					t.Errorf("seed %d, %s, %v may %s %s %q: batch says %v, decide says %v\npolicy.default %q, policy.csv:\n%s",
						seed, mode, c, action, resource, obj, got, want, data["policy.default"], data["policy.csv"])
				}
			}
			for _, pb := range b.projects {
				if pb.uniform && pb.decided {
					shortcuts++
				}
			}
		}
	}
	// The test proves nothing unless the shortcut is taken.
	if shortcuts < policies {
		t.Errorf("the batches decided a whole project at once %d times, want at least %d", shortcuts, policies)
	}
}

// policyGen makes random policies, projects, callers and objects from a
// few pieces.
type policyGen struct{ r *rand.Rand }

func (g policyGen) pick(from ...string) string { return from[g.r.IntN(len(from))] }

// projectNames are the projects of the generated objects; "broken"
// cannot be read, "none" does not exist.
var projectNames = []string{"a", "ab", "b", "team-a", "default", "broken", "none"}

// objectPattern is a random object pattern in mode: one of the common
// ones, or a random run of pieces.
func (g policyGen) objectPattern(mode string) string {
	if mode == MatchRegex {
		if g.r.IntN(2) == 0 {
			return g.pick(".*", ".*/.*", "a/.*", "a.*", "(a|b)/.*", "a/prod-.*", "a/web", "(?i)A/.*", "(?s)a/.*", "[ab]/.*",
				"^a/.*$", "a/.+", "team-a/.*", "t.*/.*", "a/(web|x)", ".*/web", "ab/.*", "a/.*/.*", "a/")
		}
		return g.pieces(".*", ".", "a", "b", "/", "-", "web", "prod", "(a|b)", "x?", "team")
	}
	if g.r.IntN(2) == 0 {
		return g.pick("*", "*/*", "a/*", "a*", "ab/*", "a/prod-*", "a/web", "*/web", "?/*", "[ab]/*", "{a,b}/*", "a/**",
			"*/*/*", "a", "team-*", "a/w?b", `\*/*`, "team-a/*", "t*/*", "a/", "**/*", "*a/*", "a/*/*")
	}
	return g.pieces("*", "?", "a", "b", "/", "-", "web", "prod", "team", "**", "[ab]")
}

// pieces joins one to five random pieces.
func (g policyGen) pieces(from ...string) string {
	var b strings.Builder
	for range 1 + g.r.IntN(5) {
		b.WriteString(g.pick(from...))
	}
	return b.String()
}

var (
	genSubjects  = []string{"u1", "u2", "g1", "g2", "role:r1", "role:r2", "role:r3", RoleReadonly}
	genResources = []string{ResourceApplications, ResourceApplications, "*", ResourceLogs, ResourceProjects}
	genActions   = []string{ActionGet, ActionGet, "*", ActionSync, ActionDelete, "update/*"}
)

// policyCSV is a random policy.csv of up to a dozen permissions and a
// few grants, chains of roles among them.
func (g policyGen) policyCSV(mode string) string {
	var b strings.Builder
	for range g.r.IntN(12) {
		res, act := g.pick(genResources...), g.pick(genActions...)
		if mode == MatchRegex {
			res, act = globToRegex(res), globToRegex(act)
		}
		fmt.Fprintf(&b, "p, %s, %s, %s, %s, %s\n", g.pick(genSubjects...), res, act, g.objectPattern(mode), g.pick(Allow, Allow, Deny))
	}
	for range g.r.IntN(5) {
		fmt.Fprintf(&b, "g, %s, %s\n", g.pick(genSubjects...), g.pick("role:r1", "role:r2", "role:r3", RoleReadonly, RoleAdmin))
	}
	return b.String()
}

// projects are random AppProjects: each of projectNames but "none" and
// "broken", with a role whose policy and groups vary.
func (g policyGen) projects(mode string) map[string]*v1alpha1.AppProject {
	out := map[string]*v1alpha1.AppProject{}
	for _, name := range projectNames[:5] {
		role := v1alpha1.ProjectRole{Name: "ci", Groups: []string{g.pick("g1", "g2", "g3")}}
		for range g.r.IntN(4) {
			obj := name + "/" + g.pick("*", "web", "prod-*", "*/*", "w*")
			if mode == MatchRegex {
				obj = name + "/" + g.pick(".*", "web", "prod-.*", ".*/.*", "w.*")
			}
			role.Policies = append(role.Policies, fmt.Sprintf("p, proj:%s:ci, applications, %s, %s, %s", name, g.pick("get", "sync", "*"), obj, g.pick(Allow, Allow, Deny)))
		}
		out[name] = appProject(name, role)
	}
	return out
}

// claims is a random caller: a user with groups, a project role, or no
// one.
func (g policyGen) claims() Claims {
	switch g.r.IntN(4) {
	case 0:
		return Claims{Subject: g.pick("proj:a:ci", "proj:b:ci", "proj:none:ci", "proj:a:other")}
	case 1:
		return Claims{Groups: []string{g.pick("g1", "g2")}}
	}
	c := Claims{Subject: g.pick("u1", "u2", "u3", "admin", "role:r1")}
	for range g.r.IntN(3) {
		c.Groups = append(c.Groups, g.pick("g1", "g2", "g3", "role:r2"))
	}
	return c
}

// objects are Applications of every project in random order, several
// per project, among them odd ones: with a namespace, a newline, bytes
// that are not UTF-8, an empty name, no project.
func (g policyGen) objects() []string {
	var out []string
	for _, proj := range projectNames {
		for _, name := range []string{"web", "prod-web", "x", "ns/web", "w", "", "p\nq", "\xff", "*"} {
			out = append(out, proj+"/"+name)
		}
		out = append(out, proj)
	}
	out = append(out, "web", "a-b/web", "/web")
	g.r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
