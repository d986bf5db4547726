package application

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// The status fields Argo CD users script against are filled: the synced
// revision(s) of the last operation, the images the Application runs,
// the tools its sources are rendered with, when it was reconciled.
func TestStatusFieldsScriptsRead(t *testing.T) {
	cl := startController(t)
	ctx := context.Background()
	web := gitserver.NewRepo(t, t.TempDir(), "fields-web")
	webRev := web.Commit(t, "main", map[string]string{
		"guestbook/deployment.yaml": deploymentYAML("fields-web", "registry.invalid/web:1", 1),
		"guestbook/service.yaml":    serviceYAML,
	}, "web")
	web.SetHead(t, "main")
	chart := gitserver.NewRepo(t, t.TempDir(), "fields-chart")
	chartRev := chart.Commit(t, "main", map[string]string{
		"chart/Chart.yaml":              "apiVersion: v2\nname: worker\nversion: 0.1.0\n",
		"chart/values.yaml":             "image: registry.invalid/worker:7\n",
		"chart/templates/worker.yaml":   deploymentYAML("fields-worker", "{{ .Values.image }}", 1),
		"chart/templates/settings.yaml": configMapYAML("fields-settings", nil),
	}, "chart")
	chart.SetHead(t, "main")

	if err := cl.Create(ctx, seedApp("fields-single", web.URL(), "fields-single")); err != nil {
		t.Fatal(err)
	}
	multi := seedApp("fields-multi", web.URL(), "fields-multi")
	multi.Spec.Sources = []v1alpha1.ApplicationSource{*multi.Spec.Source, {RepoURL: chart.URL(), TargetRevision: "HEAD", Path: "chart"}}
	multi.Spec.Source = nil
	if err := cl.Create(ctx, multi); err != nil {
		t.Fatal(err)
	}

	waitSynced(t, cl, "fields-single", webRev)
	single := appStatus(t, cl, "fields-single").Status
	if single.OperationState == nil || single.OperationState.SyncResult == nil || single.OperationState.SyncResult.Revision != webRev {
		t.Errorf("operationState.syncResult.revision is not %s: %+v", webRev, single.OperationState)
	}
	if single.SourceType != v1alpha1.ApplicationSourceTypeDirectory || single.SourceTypes != nil {
		t.Errorf("sourceType %q, sourceTypes %v; want Directory alone", single.SourceType, single.SourceTypes)
	}
	if diff := cmp.Diff([]string{"registry.invalid/web:1"}, single.Summary.Images); diff != "" {
		t.Errorf("summary.images (-want +got):\n%s", diff)
	}
	if single.ReconciledAt == nil || single.ObservedAt == nil {
		t.Errorf("reconciledAt %v, observedAt %v: want both set", single.ReconciledAt, single.ObservedAt)
	}

	waitFor(t, "the multi-source Application Synced and Healthy", func(ctx context.Context) (bool, error) {
		a := appStatus(t, cl, "fields-multi")
		return a.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && a.Status.Health.Status == v1alpha1.HealthStatusHealthy, nil
	})
	st := appStatus(t, cl, "fields-multi").Status
	if diff := cmp.Diff([]string{webRev, chartRev}, st.OperationState.SyncResult.Revisions); diff != "" {
		t.Errorf("operationState.syncResult.revisions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{webRev, chartRev}, st.Sync.Revisions); diff != "" {
		t.Errorf("sync.revisions (-want +got):\n%s", diff)
	}
	want := []v1alpha1.ApplicationSourceType{v1alpha1.ApplicationSourceTypeDirectory, v1alpha1.ApplicationSourceTypeHelm}
	if diff := cmp.Diff(want, st.SourceTypes); diff != "" || st.SourceType != v1alpha1.ApplicationSourceTypeDirectory {
		t.Errorf("sourceType %q, sourceTypes (-want +got):\n%s", st.SourceType, diff)
	}
	if diff := cmp.Diff([]string{"registry.invalid/web:1", "registry.invalid/worker:7"}, st.Summary.Images); diff != "" {
		t.Errorf("summary.images (-want +got):\n%s", diff)
	}
}
