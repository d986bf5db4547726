package source

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Request types of the Git metrics, Argo CD's.
const (
	requestLsRemote = "ls-remote"
	requestFetch    = "fetch"
)

// Git requests under Argo CD's metric names, so that dashboards written
// for Argo CD's repo-server work; see GitMetrics.
var (
	gitRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "argocd_git_request_total",
		Help: "Git requests sent, by repository and request type (ls-remote, fetch).",
	}, []string{"repo", "request_type"})
	gitRequestSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "argocd_git_request_duration_seconds",
		Help:    "How long Git requests take, by repository and request type.",
		Buckets: []float64{0.1, 0.25, .5, 1, 2, 4, 10, 20},
	}, []string{"repo", "request_type"})
)

// GitMetrics are the collectors of the Git request metrics, for the
// caller to register where it serves its metrics.
func GitMetrics() []prometheus.Collector {
	return []prometheus.Collector{gitRequests, gitRequestSeconds}
}

// observe counts one request of kind to repo that began at began. The
// repository is labelled without credentials.
func (g *Git) observe(repo Repository, kind string, began time.Time) {
	url := RedactURL(repo.URL)
	gitRequests.WithLabelValues(url, kind).Inc()
	gitRequestSeconds.WithLabelValues(url, kind).Observe(g.opts.Clock.Since(began).Seconds())
}
