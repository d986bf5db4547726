package application

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestOperationLabel(t *testing.T) {
	for _, tc := range []struct {
		name string
		app  v1alpha1.Application
		want string
	}{
		{name: "idle", want: ""},
		{name: "requested", app: v1alpha1.Application{Operation: &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}}}, want: "sync"},
		{name: "running", app: v1alpha1.Application{Status: v1alpha1.ApplicationStatus{OperationState: &v1alpha1.OperationState{Phase: v1alpha1.OperationRunning}}}, want: "sync"},
		{name: "done", app: v1alpha1.Application{Status: v1alpha1.ApplicationStatus{OperationState: &v1alpha1.OperationState{Phase: v1alpha1.OperationSucceeded}}}, want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := operationLabel(&tc.app); got != tc.want {
				t.Errorf("operationLabel = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAppSeries(t *testing.T) {
	a := newAppSeries()
	app := v1alpha1.Application{}
	app.Namespace, app.Name = "argocd", "shop"
	app.Spec.Project = "team"
	app.Spec.Source = &v1alpha1.ApplicationSource{RepoURL: "https://user:secret@git.example/shop.git"}
	app.Spec.Destination = v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "shop"}
	app.Status.Sync.Status = v1alpha1.SyncStatusCodeSynced
	app.Status.Health.Status = "Healthy"
	a.setInfo(app.Namespace, app.Name, appInfoValues(&app))
	other := app
	other.Name = "gone"
	a.setInfo(other.Namespace, other.Name, appInfoValues(&other))
	a.forget("argocd", "gone")
	place := syncPlace{project: "team", server: "https://kubernetes.default.svc"}
	a.addSync("argocd", "shop", place, "Succeeded", false, true, 1.5)
	a.addSync("argocd", "shop", place, "Succeeded", false, true, 2)
	a.addSync("argocd", "shop", place, "Failed", false, false, 0)
	a.addSync("argocd", "shop", place, "Succeeded", true, true, 0.25)
	// A status that changes replaces the info series.
	app.Status.Health.Status = "Degraded"
	a.setInfo(app.Namespace, app.Name, appInfoValues(&app))

	want := `
# HELP argocd_app_info Information about an Application: one series each, labelled with its source, destination, sync and health status.
# TYPE argocd_app_info gauge
argocd_app_info{autosync_enabled="false",dest_namespace="shop",dest_server="https://kubernetes.default.svc",health_status="Degraded",name="shop",namespace="argocd",operation="",project="team",repo="https://user@git.example/shop.git",sync_status="Synced"} 1
# HELP argocd_app_sync_total Sync operations completed, by Application and result phase.
# TYPE argocd_app_sync_total counter
argocd_app_sync_total{dest_server="https://kubernetes.default.svc",dry_run="false",name="shop",namespace="argocd",phase="Failed",project="team"} 1
argocd_app_sync_total{dest_server="https://kubernetes.default.svc",dry_run="false",name="shop",namespace="argocd",phase="Succeeded",project="team"} 2
argocd_app_sync_total{dest_server="https://kubernetes.default.svc",dry_run="true",name="shop",namespace="argocd",phase="Succeeded",project="team"} 1
# HELP argocd_app_sync_duration_seconds_total Time spent in sync operations, by Application.
# TYPE argocd_app_sync_duration_seconds_total counter
argocd_app_sync_duration_seconds_total{dest_server="https://kubernetes.default.svc",name="shop",namespace="argocd",project="team"} 3.75
`
	if err := testutil.CollectAndCompare(a, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
