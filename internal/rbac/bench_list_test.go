package rbac

import (
	"context"
	"fmt"
	"testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// listApps and listProjects size the list the list benchmarks filter: as
// many Applications as the dashboard's benchmark, spread over projects.
const (
	listApps     = 10_000
	listProjects = 10
)

// listPolicy is an argocd-rbac-cm of a few dozen lines as a company with
// several teams writes it: a role per team on its projects, a deny on
// production deletes, a few users named directly, SSO groups bound to
// roles, and the read-only default role.
func listPolicy() map[string]string {
	csv := "p, role:ops, applications, *, */*, allow\np, role:ops, clusters, get, *, allow\ng, ops-team, role:ops\n"
	for i := range listProjects {
		csv += fmt.Sprintf("p, role:team-%d, applications, *, project-%d/*, allow\n", i, i)
		csv += fmt.Sprintf("p, role:team-%d, applications, delete, project-%d/prod-*, deny\n", i, i)
		csv += fmt.Sprintf("p, role:team-%d, logs, get, project-%d/*, allow\n", i, i)
		csv += fmt.Sprintf("g, team-%d-devs, role:team-%d\n", i, i)
	}
	csv += "p, carol, applications, get, */*, allow\np, carol, applications, get, project-3/*, deny\ng, dave, role:team-1\n"
	return map[string]string{"policy.default": "role:readonly", "policy.csv": csv}
}

// listProjectObjects are the projects of the list, each with a CI role as
// AppProjects carry them, and the RBAC object of each Application.
func listProjectObjects() ([]*v1alpha1.AppProject, []string) {
	projs := make([]*v1alpha1.AppProject, listProjects)
	for i := range projs {
		name := fmt.Sprintf("project-%d", i)
		projs[i] = appProject(name, v1alpha1.ProjectRole{Name: "ci", Groups: []string{name + "-ci"}, Policies: []string{
			fmt.Sprintf("p, proj:%s:ci, applications, get, %s/*, allow", name, name),
			fmt.Sprintf("p, proj:%s:ci, applications, sync, %s/*, allow", name, name),
		}})
		// As the cache gives them.
		projs[i].ResourceVersion = "1"
	}
	objects := make([]string, listApps)
	for i := range objects {
		objects[i] = fmt.Sprintf("project-%d/app-%05d", i%listProjects, i)
	}
	return projs, objects
}

// listCallers are the callers of the list benchmarks.
var listCallers = []struct {
	name string
	c    Claims
}{
	{"admin", Claims{Subject: "admin"}},
	{"readonly", Claims{Subject: "someone"}},
	{"sso-team", Claims{Subject: "erin", Groups: []string{"staff", "team-4-devs", "project-4-ci"}}},
	{"denied-project", Claims{Subject: "carol"}},
	{"project-token", Claims{Subject: "proj:project-2:ci"}},
}

// benchList runs list once per loop for each caller of listCallers,
// each on a policy of its own.
func benchList(b *testing.B, list func(p *policy, c Claims, projs []*v1alpha1.AppProject, objects []string)) {
	cfg, err := ParseConfig(listPolicy())
	if err != nil {
		b.Fatal(err)
	}
	projs, objects := listProjectObjects()
	for _, caller := range listCallers {
		b.Run(caller.name, func(b *testing.B) {
			p, err := newPolicy(cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				list(p, caller.c, projs, objects)
			}
		})
	}
}

// BenchmarkListExact decides get on every Application of the list, one
// question at a time, as a list did before batches.
func BenchmarkListExact(b *testing.B) {
	benchList(b, func(p *policy, c Claims, projs []*v1alpha1.AppProject, objects []string) {
		for i, obj := range objects {
			p.decide(context.Background(), projs[i%listProjects], c, request{ResourceApplications, ActionGet, obj})
		}
	})
}

// BenchmarkListBatch decides the same list in one batch, as the API's
// lists do.
func BenchmarkListBatch(b *testing.B) {
	benchList(b, func(p *policy, c Claims, projs []*v1alpha1.AppProject, objects []string) {
		lookup := func(_ context.Context, name string) (*v1alpha1.AppProject, error) {
			for _, proj := range projs {
				if proj.Name == name {
					return proj, nil
				}
			}
			return nil, nil
		}
		batch := newBatch(context.Background(), p, lookup, c, ResourceApplications, ActionGet)
		for _, obj := range objects {
			batch.Allows(obj)
		}
	})
}
