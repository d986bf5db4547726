package examples

import (
	"context"
	"testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// TestAppOfApps syncs the parent Application of the examples, a Helm
// chart of child Applications that sync by hand, as the example
// repository's app of apps has them. The parent is Synced and Healthy
// while its children are still OutOfSync and Missing: a child
// Application's health is not the parent's (Argo CD stopped assessing it
// in 1.8). A child synced on request then reaches Synced and Healthy.
func TestAppOfApps(t *testing.T) {
	cl := startController(t)
	url, commit := serveExamples(t)
	parent := exampleApp("apps", url, "apps", controlPlane)
	parent.Spec.SyncPolicy.SyncOptions = nil
	parent.Spec.Source.Helm = &v1alpha1.ApplicationSourceHelm{Parameters: []v1alpha1.HelmParameter{{Name: "spec.source.repoURL", Value: url}}}
	if err := cl.Create(context.Background(), parent); err != nil {
		t.Fatal(err)
	}
	app := waitSyncedHealthy(t, cl, "apps", commit)
	children := map[string]bool{}
	for _, rs := range app.Status.Resources {
		if rs.Group == "argoproj.io" && rs.Kind == "Application" {
			children[rs.Name] = true
			if rs.Health != nil {
				t.Errorf("child %s has health %s in the parent's resources; want none", rs.Name, rs.Health.Status)
			}
		}
	}
	if len(children) != 7 {
		t.Fatalf("the parent manages %d child Applications, want 7: %v", len(children), children)
	}
	waitFor(t, "the children to be compared", func(context.Context) (bool, error) {
		return getApp(t, cl, "guestbook").Status.Sync.Status == v1alpha1.SyncStatusCodeOutOfSync, nil
	})
	if h := getApp(t, cl, "guestbook").Status.Health.Status; h == v1alpha1.HealthStatusHealthy {
		t.Fatalf("the child guestbook is %s before any sync; the test needs it unhealthy", h)
	}
	if h := getApp(t, cl, "apps").Status.Health.Status; h != v1alpha1.HealthStatusHealthy {
		t.Errorf("the parent is %s while a child is not Healthy; want Healthy", h)
	}

	for name := range children {
		updateOperation(t, cl, name, &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}, InitiatedBy: v1alpha1.OperationInitiator{Username: "admin"}})
	}
	for name := range children {
		t.Run(name, func(t *testing.T) { waitSyncedHealthy(t, cl, name, commit) })
	}
}
