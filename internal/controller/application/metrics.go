package application

import (
	"strconv"
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
	perApp = newAppSeries()
)

func init() {
	metrics.Registry.MustRegister(perApp, reconcileSeconds, syncDuration)
}

// recordApp replaces the Application's info series when its labels changed.
func recordApp(app *v1alpha1.Application) {
	perApp.setInfo(app.Namespace, app.Name, appInfoValues(app))
}

// appInfoValues are the label values of app's argocd_app_info series, in
// the order of infoLabels.
func appInfoValues(app *v1alpha1.Application) []string {
	return []string{app.Namespace, app.Name, app.Spec.Project, strconv.FormatBool(app.Spec.SyncPolicy.IsAutomatedSyncEnabled()),
		appRepo(app), app.Spec.Destination.Server, app.Spec.Destination.Namespace,
		string(app.Status.Sync.Status), string(app.Status.Health.Status), operationLabel(app)}
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
	perApp.forget(namespace, name)
}

func recordSync(app *v1alpha1.Application, os *v1alpha1.OperationState) {
	dryRun := os.Operation.Sync != nil && os.Operation.Sync.DryRun
	var seconds float64
	if os.FinishedAt != nil {
		seconds = os.FinishedAt.Sub(os.StartedAt.Time).Seconds()
		syncDuration.WithLabelValues(app.Spec.Project).Observe(seconds)
	}
	perApp.addSync(app.Namespace, app.Name, syncPlace{project: app.Spec.Project, server: app.Spec.Destination.Server},
		string(os.Phase), dryRun, os.FinishedAt != nil, seconds)
}

// recordReconcile observes how long a reconcile of app took.
func recordReconcile(app *v1alpha1.Application, took time.Duration) {
	reconcileSeconds.WithLabelValues(app.Namespace, app.Spec.Destination.Server).Observe(took.Seconds())
}
