package imageupdater

import "github.com/prometheus/client_golang/prometheus"

// Metrics of the image updater, under the names Argo CD Image Updater
// exports, so that dashboards and alerts keep working.
var (
	imagesUpdated = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "argocd_image_updater_images_updated_total",
		Help: "Images updated (written back) by the image updater, by Application.",
	}, []string{"application"})
	imagesErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "argocd_image_updater_images_errors_total",
		Help: "Errors finding or writing back an image, by Application.",
	}, []string{"application"})
	registryRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "argocd_image_updater_registry_requests_total",
		Help: "Requests sent to container registries, by registry.",
	}, []string{"registry"})
	registryRequestsFailed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "argocd_image_updater_registry_requests_failed_total",
		Help: "Requests to container registries that failed, by registry.",
	}, []string{"registry"})
	applicationsWatched = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "argocd_image_updater_applications_watched_total",
		Help: "Applications with an image list, in the last cycle.",
	})
	imagesWatched = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "argocd_image_updater_images_watched_total",
		Help: "Images of those Applications, in the last cycle.",
	})
)

// Metrics returns the image updater's collectors, to register once.
func Metrics() []prometheus.Collector {
	return []prometheus.Collector{imagesUpdated, imagesErrors, registryRequests, registryRequestsFailed, applicationsWatched, imagesWatched}
}

// ObserveRegistryRequest counts one registry request: a FinderOptions
// OnRequest.
func ObserveRegistryRequest(registry string, failed bool) {
	registryRequests.WithLabelValues(registry).Inc()
	if failed {
		registryRequestsFailed.WithLabelValues(registry).Inc()
	}
}

// ObserveCycle records what one cycle watched.
func ObserveCycle(apps, images int) {
	applicationsWatched.Set(float64(apps))
	imagesWatched.Set(float64(images))
}

// ObserveUpdated counts images written back for an Application
// ("namespace/name").
func ObserveUpdated(app string, n int) { imagesUpdated.WithLabelValues(app).Add(float64(n)) }

// ObserveError counts an error finding or writing back an Application's
// images.
func ObserveError(app string) { imagesErrors.WithLabelValues(app).Inc() }
