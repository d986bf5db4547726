package application

import (
	"slices"
	gosync "sync"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Metrics on /metrics, next to controller-runtime's reconcile and
// Kubernetes client metrics (rest_client_requests_total by verb).
var (
	appInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "capstan_app_info",
		Help: "One series per Application, labelled with its sync and health status.",
	}, []string{"namespace", "name", "project", "dest_server", "dest_namespace", "sync_status", "health_status"})
	syncTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "capstan_app_sync_total",
		Help: "Syncs run, by Application and result phase.",
	}, []string{"namespace", "name", "project", "phase"})
	// A histogram per Application would cost a dozen series each; the
	// distribution is kept per project, and per Application the total.
	syncDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "capstan_app_sync_duration_seconds",
		Help:    "How long syncs take, from start to finish, by project.",
		Buckets: prometheus.ExponentialBuckets(0.05, 2, 12),
	}, []string{"project"})
	syncSeconds = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "capstan_app_sync_duration_seconds_total",
		Help: "Time spent syncing, by Application.",
	}, []string{"namespace", "name", "project"})
)

func init() {
	metrics.Registry.MustRegister(appInfo, syncTotal, syncDuration, syncSeconds)
}

// infoLabels are the label values of each Application's info series, so
// that an unchanged Application costs no work: deleting a series by a
// partial match scans every Application's.
var infoLabels gosync.Map

// recordApp replaces the Application's info series when its labels changed.
func recordApp(app *v1alpha1.Application) {
	values := []string{app.Namespace, app.Name, app.Spec.Project, app.Spec.Destination.Server, app.Spec.Destination.Namespace,
		string(app.Status.Sync.Status), string(app.Status.Health.Status)}
	key := app.Namespace + "/" + app.Name
	if old, ok := infoLabels.Load(key); ok && slices.Equal(old.([]string), values) {
		return
	}
	appInfo.DeletePartialMatch(prometheus.Labels{"namespace": app.Namespace, "name": app.Name})
	appInfo.WithLabelValues(values...).Set(1)
	infoLabels.Store(key, values)
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
	syncTotal.WithLabelValues(app.Namespace, app.Name, app.Spec.Project, string(os.Phase)).Inc()
	if os.FinishedAt != nil {
		d := os.FinishedAt.Sub(os.StartedAt.Time).Seconds()
		syncDuration.WithLabelValues(app.Spec.Project).Observe(d)
		syncSeconds.WithLabelValues(app.Namespace, app.Name, app.Spec.Project).Add(d)
	}
}
