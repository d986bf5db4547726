package testenv

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// ListProjects is how many AppProjects CreateListApps spreads its
// Applications over: project-0 to project-9.
const ListProjects = 10

// CreateListApps creates what a benchmark of a list of Applications
// reads: ListProjects AppProjects in ns, each with a role "ci" that may
// get and sync the project's Applications and is held by the group
// "<project>-ci", and n Applications app-00000, app-00001... in them in
// turn (app i in project-<i mod 10>, labelled team=team-<i mod 10>),
// with sync statuses and healths spread over the possible ones, as fast
// as the API server takes them. Nothing runs their sources.
func CreateListApps(ctx context.Context, cl client.Client, ns string, n int) error {
	for i := range ListProjects {
		name := fmt.Sprintf("project-%d", i)
		proj := &v1alpha1.AppProject{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: v1alpha1.AppProjectSpec{SourceRepos: []string{"*"}, Destinations: []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}},
				Roles: []v1alpha1.ProjectRole{{Name: "ci", Groups: []string{name + "-ci"}, Policies: []string{
					fmt.Sprintf("p, proj:%s:ci, applications, get, %s/*, allow", name, name),
					fmt.Sprintf("p, proj:%s:ci, applications, sync, %s/*, allow", name, name),
				}}}},
		}
		if err := cl.Create(ctx, proj); err != nil {
			return fmt.Errorf("create AppProject %s: %w", name, err)
		}
	}
	syncs := []v1alpha1.SyncStatusCode{"Synced", "Synced", "Synced", "OutOfSync", "Unknown"}
	healths := []v1alpha1.HealthStatusCode{"Healthy", "Healthy", "Progressing", "Degraded", "Missing", "Suspended"}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i := range n {
		g.Go(func() error {
			team := i % ListProjects
			app := &v1alpha1.Application{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("app-%05d", i), Labels: map[string]string{"team": fmt.Sprintf("team-%d", team)}},
				Spec: v1alpha1.ApplicationSpec{
					Project:     fmt.Sprintf("project-%d", team),
					Source:      &v1alpha1.ApplicationSource{RepoURL: fmt.Sprintf("https://git.example.com/team-%d/apps.git", team), TargetRevision: "main", Path: fmt.Sprintf("apps/app-%05d", i)},
					Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: fmt.Sprintf("app-%05d", i)},
				},
			}
			if err := cl.Create(ctx, app); err != nil {
				return fmt.Errorf("create Application %s: %w", app.Name, err)
			}
			app.Status.Sync.Status, app.Status.Health.Status = syncs[i%len(syncs)], healths[i%len(healths)]
			app.Status.Sync.Revision = fmt.Sprintf("%040x", i)
			app.Status.OperationState = &v1alpha1.OperationState{Phase: "Succeeded", StartedAt: metav1.Now()}
			if err := cl.Status().Update(ctx, app); err != nil {
				return fmt.Errorf("write the status of Application %s: %w", app.Name, err)
			}
			return nil
		})
	}
	return g.Wait()
}
