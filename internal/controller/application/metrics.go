package application

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
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
	metrics.Registry.MustRegister(reconcileSeconds, syncDuration)
}

// MetricsHandler serves /metrics: what gatherer gathers (controller-
// runtime's registry), then the per-Application series, which are not in
// it (appSeries.writeText), in the Prometheus text format, gzipped when
// the scraper accepts it. A read is whole or fails: a failed gathering is
// answered 500, as the client library's handler answers by default, and
// a read that fails once its answer has begun drops the connection.
// Either way the scraper records a failed scrape, where a read cut short
// would show its missing series as series that ended.
func MetricsHandler(gatherer prometheus.Gatherer) http.Handler {
	format := expfmt.NewFormat(expfmt.TypeTextPlain)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		families, err := gatherer.Gather()
		if err != nil {
			http.Error(w, "gather metrics: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", string(format))
		if r.Method == http.MethodHead {
			return
		}
		var body io.Writer = w
		var gz *gzip.Writer
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			w.Header().Set("Content-Encoding", "gzip")
			// Without state between writes, a compressor holds no
			// tables from one read to the next; each write is a block
			// of the buffer below, large enough to compress well.
			gz, _ = gzip.NewWriterLevel(w, gzip.StatelessCompression)
			body = gz
		}
		out := bufio.NewWriterSize(body, 32<<10)
		err = writeMetrics(out, format, families)
		if err == nil && gz != nil {
			err = gz.Close()
		}
		if err != nil {
			panic(http.ErrAbortHandler)
		}
	})
}

// writeMetrics writes families in format, then the per-Application
// series, and flushes out.
func writeMetrics(out *bufio.Writer, format expfmt.Format, families []*dto.MetricFamily) error {
	enc := expfmt.NewEncoder(out, format)
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	return perApp.writeText(out)
}

// acceptsGzip reports whether the Accept-Encoding headers accept gzip: a
// coding named gzip whose weight, if it has one, is not 0.
func acceptsGzip(headers []string) bool {
	for _, header := range headers {
		for part := range strings.SplitSeq(header, ",") {
			params := strings.Split(part, ";")
			if !strings.EqualFold(strings.TrimSpace(params[0]), "gzip") {
				continue
			}
			for _, p := range params[1:] {
				name, value, _ := strings.Cut(p, "=")
				if strings.EqualFold(strings.TrimSpace(name), "q") {
					q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
					return err != nil || q > 0
				}
			}
			return true
		}
	}
	return false
}

// recordApp replaces the Application's info series when its labels changed.
func recordApp(app *v1alpha1.Application) {
	perApp.setInfo(app.Namespace, app.Name, appInfoValues(app))
}

// appInfoValues are the label values of app's argocd_app_info series, in
// the order of infoFamily's labels.
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
