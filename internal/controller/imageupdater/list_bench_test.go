package imageupdater

import (
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// BenchmarkListApps is what a cycle's listing costs at 1000 Applications
// with a synced Application's status, none with an image list and no
// ImageUpdater, read from an informer cache that packs Applications as
// the controller's does: B/op is what the listing allocates each cycle
// (docs/performance.md).
func BenchmarkListApps(b *testing.B) {
	w := newWorld(b, nil)
	c := w.readFromCache(b)
	const apps = 1000
	for i := range apps {
		app := &v1alpha1.Application{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("app-%04d", i), Namespace: w.ns},
			Spec: v1alpha1.ApplicationSpec{Project: "default",
				Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: fmt.Sprintf("bench-%04d", i)},
				Source:      &v1alpha1.ApplicationSource{RepoURL: "http://127.0.0.1/bench.git", Path: fmt.Sprintf("apps/app-%04d", i), TargetRevision: "HEAD"}},
		}
		if err := w.c.Create(b.Context(), app); err != nil {
			b.Fatal(err)
		}
		app.Status = syncedStatus(app)
		if err := w.c.Status().Update(b.Context(), app); err != nil {
			b.Fatal(err)
		}
	}
	eventually(b, "the cache holds the Applications", func() bool {
		var list v1alpha1.ApplicationList
		return c.List(b.Context(), &list, client.InNamespace(w.ns)) == nil && len(list.Items) == apps
	})
	b.ReportAllocs()
	for b.Loop() {
		if found, err := w.u.listApps(b.Context()); err != nil || len(found) != 0 {
			b.Fatalf("listed %d, %v", len(found), err)
		}
	}
}

// syncedStatus is the status of an Application of five objects, synced
// and healthy, as the controller writes it.
func syncedStatus(app *v1alpha1.Application) v1alpha1.ApplicationStatus {
	now := metav1.Now()
	rev := "0123456789abcdef0123456789abcdef01234567"
	var resources []v1alpha1.ResourceStatus
	var results v1alpha1.ResourceResults
	for _, kind := range []string{"ServiceAccount", "ConfigMap", "Role", "Service", "Deployment"} {
		resources = append(resources, v1alpha1.ResourceStatus{Version: "v1", Kind: kind, Namespace: app.Spec.Destination.Namespace, Name: "web",
			Status: v1alpha1.SyncStatusCodeSynced, Health: &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusHealthy}})
		results = append(results, v1alpha1.ResourceResult{Version: "v1", Kind: kind, Namespace: app.Spec.Destination.Namespace, Name: "web",
			Status: v1alpha1.ResultCodeSynced, Message: kind + "/web serverside-applied", HookPhase: v1alpha1.OperationRunning, SyncPhase: v1alpha1.SyncPhaseSync})
	}
	return v1alpha1.ApplicationStatus{
		Resources:    resources,
		Sync:         v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeSynced, Revision: rev, ComparedTo: v1alpha1.ComparedTo{Source: *app.Spec.Source, Destination: app.Spec.Destination}},
		Health:       v1alpha1.AppHealthStatus{Status: v1alpha1.HealthStatusHealthy, LastTransitionTime: &now},
		History:      v1alpha1.RevisionHistories{{Revision: rev, DeployedAt: now, ID: 0, Source: *app.Spec.Source, DeployStartedAt: &now, InitiatedBy: v1alpha1.OperationInitiator{Automated: true}}},
		ReconciledAt: &now,
		OperationState: &v1alpha1.OperationState{
			Operation: v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: rev}, InitiatedBy: v1alpha1.OperationInitiator{Automated: true}},
			Phase:     v1alpha1.OperationSucceeded, Message: "successfully synced (all tasks run)", StartedAt: now, FinishedAt: &now,
			SyncResult: &v1alpha1.SyncOperationResult{Resources: results, Revision: rev, Source: *app.Spec.Source},
		},
		SourceType:          v1alpha1.ApplicationSourceTypeDirectory,
		ControllerNamespace: "argocd",
	}
}
