package application

import (
	"slices"
	"strconv"
	gosync "sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/source"
)

// Metrics on /metrics, next to controller-runtime's reconcile and
// Kubernetes client metrics (rest_client_requests_total by verb). The
// argocd_* ones carry Argo CD's names and labels, so that dashboards and
// alerts written for Argo CD work unchanged.
var (
	appInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "argocd_app_info",
		Help: "Information about an Application: one series each, labelled with its source, destination, sync and health status.",
	}, []string{"namespace", "name", "project", "autosync_enabled", "repo", "dest_server", "dest_namespace", "sync_status", "health_status", "operation"})
	syncTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "argocd_app_sync_total",
		Help: "Sync operations completed, by Application and result phase.",
	}, []string{"namespace", "name", "project", "dest_server", "phase", "dry_run"})
	syncSeconds = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "argocd_app_sync_duration_seconds_total",
		Help: "Time spent in sync operations, by Application.",
	}, []string{"namespace", "name", "project", "dest_server"})
	reconcileSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "argocd_app_reconcile",
		Help:    "How long one reconcile of an Application takes, in seconds.",
		Buckets: []float64{0.25, .5, 1, 2, 4, 8, 16},
	}, []string{"namespace", "dest_server"})
	// A histogram per Application would cost a dozen series each; the
	// distribution is kept per project, and per Application the total.
	syncDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "capstan_app_sync_duration_seconds",
		Help:    "How long sync operations take, from start to finish, by project.",
		Buckets: prometheus.ExponentialBuckets(0.05, 2, 12),
	}, []string{"project"})
)

func init() {
	metrics.Registry.MustRegister(appInfo, syncTotal, syncSeconds, reconcileSeconds, syncDuration)
}

// infoLabels are the label values of each Application's info series, so
// that an unchanged Application costs no work: deleting a series by a
// partial match scans every Application's.
var infoLabels gosync.Map

// recordApp replaces the Application's info series when its labels changed.
func recordApp(app *v1alpha1.Application) {
	values := []string{app.Namespace, app.Name, app.Spec.Project, strconv.FormatBool(app.Spec.SyncPolicy.IsAutomatedSyncEnabled()),
		appRepo(app), app.Spec.Destination.Server, app.Spec.Destination.Namespace,
		string(app.Status.Sync.Status), string(app.Status.Health.Status), operationLabel(app)}
	key := app.Namespace + "/" + app.Name
	if old, ok := infoLabels.Load(key); ok && slices.Equal(old.([]string), values) {
		return
	}
	appInfo.DeletePartialMatch(prometheus.Labels{"namespace": app.Namespace, "name": app.Name})
	appInfo.WithLabelValues(values...).Set(1)
	infoLabels.Store(key, values)
}

// appRepo is the repository of the Application's first source, without
// credentials.
func appRepo(app *v1alpha1.Application) string {
	if srcs := app.Spec.GetSources(); len(srcs) > 0 {
		return source.RedactURL(srcs[0].RepoURL)
	}
	return ""
}

// operationLabel is the operation under way: "sync" while a sync is
// requested or runs.
func operationLabel(app *v1alpha1.Application) string {
	if app.Operation != nil && app.Operation.Sync != nil ||
		app.Status.OperationState != nil && !app.Status.OperationState.Phase.Completed() {
		return "sync"
	}
	return ""
}

// forgetApp drops the series of an Application that is gone.
func forgetApp(namespace, name string) {
	labels := prometheus.Labels{"namespace": namespace, "name": name}
	appInfo.DeletePartialMatch(labels)
	infoLabels.Delete(namespace + "/" + name)
	syncTotal.DeletePartialMatch(labels)
	syncSeconds.DeletePartialMatch(labels)
}

func recordSync(app *v1alpha1.Application, os *v1alpha1.OperationState) {
	dryRun := os.Operation.Sync != nil && os.Operation.Sync.DryRun
	server := app.Spec.Destination.Server
	syncTotal.WithLabelValues(app.Namespace, app.Name, app.Spec.Project, server, string(os.Phase), strconv.FormatBool(dryRun)).Inc()
	if os.FinishedAt != nil {
		d := os.FinishedAt.Sub(os.StartedAt.Time).Seconds()
		syncDuration.WithLabelValues(app.Spec.Project).Observe(d)
		syncSeconds.WithLabelValues(app.Namespace, app.Name, app.Spec.Project, server).Add(d)
	}
}

// recordReconcile observes how long a reconcile of app took.
func recordReconcile(app *v1alpha1.Application, took time.Duration) {
	reconcileSeconds.WithLabelValues(app.Namespace, app.Spec.Destination.Server).Observe(took.Seconds())
}
