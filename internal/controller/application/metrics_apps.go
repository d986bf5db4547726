package application

import (
	"slices"
	gosync "sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/capstan-cd/capstan/internal/intern"
)

// The series of each Application (argocd_app_info, argocd_app_sync_total,
// argocd_app_sync_duration_seconds_total) carry Argo CD's names and
// labels. A metric vector would keep, for each series, its label pairs as
// protocol-buffer messages: some 3 KiB per Application, the largest part
// of what capstan holds per Application besides the Application itself.
// appSeries keeps the plain values instead, the repeated ones shared, and
// makes the series when /metrics is read.
var (
	infoDesc = prometheus.NewDesc("argocd_app_info",
		"Information about an Application: one series each, labelled with its source, destination, sync and health status.",
		[]string{"namespace", "name", "project", "autosync_enabled", "repo", "dest_server", "dest_namespace", "sync_status", "health_status", "operation"}, nil)
	syncTotalDesc = prometheus.NewDesc("argocd_app_sync_total",
		"Sync operations completed, by Application and result phase.",
		[]string{"namespace", "name", "project", "dest_server", "phase", "dry_run"}, nil)
	syncSecondsDesc = prometheus.NewDesc("argocd_app_sync_duration_seconds_total",
		"Time spent in sync operations, by Application.",
		[]string{"namespace", "name", "project", "dest_server"}, nil)
)

// appSeries is a prometheus.Collector of the per-Application series.
type appSeries struct {
	mu   gosync.Mutex
	apps map[appID]*appRecord
	// values holds one copy of each label value that Applications
	// share (a project, a repository, a status), so that a thousand
	// Applications do not hold a thousand copies.
	values intern.Table
}

type appID struct{ namespace, name string }

// appRecord is what the series of one Application are made of.
type appRecord struct {
	// info are the label values of argocd_app_info after namespace and
	// name; nil until the Application was first reconciled.
	info []string
	// syncs count the completed syncs by placement, phase and dry run.
	syncs []syncCount
	// seconds sum the time of the completed syncs by placement.
	seconds []syncTime
}

// syncPlace is where an Application synced to: labels of its sync series.
type syncPlace struct{ project, server string }

type syncCount struct {
	place  syncPlace
	phase  string
	dryRun bool
	n      float64
}

type syncTime struct {
	place   syncPlace
	seconds float64
}

var _ prometheus.Collector = (*appSeries)(nil)

func newAppSeries() *appSeries {
	return &appSeries{apps: map[appID]*appRecord{}}
}

// share returns the collector's copy of s; the table is bounded, so the
// values of Applications long gone are not kept forever.
func (a *appSeries) share(s string) string { return a.values.String(s) }

func (a *appSeries) record(namespace, name string) *appRecord {
	id := appID{namespace, name}
	r, ok := a.apps[id]
	if !ok {
		r = &appRecord{}
		a.apps[appID{a.share(namespace), name}] = r
	}
	return r
}

// setInfo sets the labels of an Application's info series: values are
// those of infoDesc, namespace and name first.
func (a *appSeries) setInfo(namespace, name string, values []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.record(namespace, name)
	if slices.Equal(r.info, values[2:]) {
		return
	}
	info := make([]string, len(values)-2)
	for i, v := range values[2:] {
		info[i] = a.share(v)
	}
	r.info = info
}

// addSync counts a completed sync, and its time when timed.
func (a *appSeries) addSync(namespace, name string, place syncPlace, phase string, dryRun, timed bool, seconds float64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.record(namespace, name)
	place = syncPlace{a.share(place.project), a.share(place.server)}
	i := slices.IndexFunc(r.syncs, func(c syncCount) bool { return c.place == place && c.phase == phase && c.dryRun == dryRun })
	if i < 0 {
		r.syncs = append(r.syncs, syncCount{place: place, phase: a.share(phase), dryRun: dryRun})
		i = len(r.syncs) - 1
	}
	r.syncs[i].n++
	if !timed {
		return
	}
	j := slices.IndexFunc(r.seconds, func(t syncTime) bool { return t.place == place })
	if j < 0 {
		r.seconds = append(r.seconds, syncTime{place: place})
		j = len(r.seconds) - 1
	}
	r.seconds[j].seconds += seconds
}

// forget drops the series of an Application.
func (a *appSeries) forget(namespace, name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.apps, appID{namespace, name})
}

func (a *appSeries) Describe(ch chan<- *prometheus.Desc) {
	ch <- infoDesc
	ch <- syncTotalDesc
	ch <- syncSecondsDesc
}

// Collect makes the series from a copy of the records, so that reading
// /metrics does not hold up reconciles.
func (a *appSeries) Collect(ch chan<- prometheus.Metric) {
	type entry struct {
		id appID
		r  appRecord
	}
	a.mu.Lock()
	entries := make([]entry, 0, len(a.apps))
	for id, r := range a.apps {
		entries = append(entries, entry{id, appRecord{info: r.info, syncs: slices.Clone(r.syncs), seconds: slices.Clone(r.seconds)}})
	}
	a.mu.Unlock()
	for _, e := range entries {
		if e.r.info != nil {
			values := append([]string{e.id.namespace, e.id.name}, e.r.info...)
			ch <- prometheus.MustNewConstMetric(infoDesc, prometheus.GaugeValue, 1, values...)
		}
		for _, c := range e.r.syncs {
			dryRun := "false"
			if c.dryRun {
				dryRun = "true"
			}
			ch <- prometheus.MustNewConstMetric(syncTotalDesc, prometheus.CounterValue, c.n, e.id.namespace, e.id.name, c.place.project, c.place.server, c.phase, dryRun)
		}
		for _, t := range e.r.seconds {
			ch <- prometheus.MustNewConstMetric(syncSecondsDesc, prometheus.CounterValue, t.seconds, e.id.namespace, e.id.name, t.place.project, t.place.server)
		}
	}
}
