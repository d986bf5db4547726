package application

import (
	"slices"
	"strings"
	gosync "sync"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

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
	infoLabels = newLabelSet("namespace", "name", "project", "autosync_enabled", "repo", "dest_server", "dest_namespace", "sync_status", "health_status", "operation")
	infoDesc   = prometheus.NewDesc("argocd_app_info",
		"Information about an Application: one series each, labelled with its source, destination, sync and health status.",
		infoLabels.names, nil)
	syncTotalLabels = newLabelSet("namespace", "name", "project", "dest_server", "phase", "dry_run")
	syncTotalDesc   = prometheus.NewDesc("argocd_app_sync_total",
		"Sync operations completed, by Application and result phase.",
		syncTotalLabels.names, nil)
	syncSecondsLabels = newLabelSet("namespace", "name", "project", "dest_server")
	syncSecondsDesc   = prometheus.NewDesc("argocd_app_sync_duration_seconds_total",
		"Time spent in sync operations, by Application.",
		syncSecondsLabels.names, nil)
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
// values of Applications long gone are not kept forever. A label value
// must be UTF-8, or the registry refuses the whole read of /metrics.
func (a *appSeries) share(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return a.values.String(s)
}

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
	place, phase = syncPlace{a.share(place.project), a.share(place.server)}, a.share(phase)
	i := slices.IndexFunc(r.syncs, func(c syncCount) bool { return c.place == place && c.phase == phase && c.dryRun == dryRun })
	if i < 0 {
		r.syncs = append(r.syncs, syncCount{place: place, phase: phase, dryRun: dryRun})
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
// /metrics does not hold up reconciles. A read at 1000 Applications
// makes 3000 series: made as constant metrics, each label pair of each
// series was three allocations, some 3.8 MB and 87,000 objects a read;
// here the series are made in a few slices, and each label pair is made
// once a read and shared by the series that carry it
// (BenchmarkAppSeriesRead; docs/performance.md, "Memory on 2026-12-04").
func (a *appSeries) Collect(ch chan<- prometheus.Metric) {
	type entry struct {
		id appID
		r  appRecord
	}
	a.mu.Lock()
	entries := make([]entry, 0, len(a.apps))
	count, labels := 0, 0
	for id, r := range a.apps {
		entries = append(entries, entry{id, appRecord{info: r.info, syncs: slices.Clone(r.syncs), seconds: slices.Clone(r.seconds)}})
		if r.info != nil {
			count, labels = count+1, labels+len(infoLabels.names)
		}
		count += len(r.syncs) + len(r.seconds)
		labels += len(r.syncs)*len(syncTotalLabels.names) + len(r.seconds)*len(syncSecondsLabels.names)
	}
	a.mu.Unlock()

	b := seriesBuilder{series: make([]appMetric, count), labels: make([]*dto.LabelPair, labels), pairs: make(map[labelPairKey]*dto.LabelPair, 2*len(entries)+64)}
	values := make([]string, 0, len(infoLabels.names))
	for _, e := range entries {
		ns, name := e.id.namespace, e.id.name
		if e.r.info != nil {
			values = append(append(values[:0], ns, name), e.r.info...)
			b.add(infoDesc, &infoLabels, values, 1)
		}
		for _, c := range e.r.syncs {
			dryRun := "false"
			if c.dryRun {
				dryRun = "true"
			}
			b.add(syncTotalDesc, &syncTotalLabels, []string{ns, name, c.place.project, c.place.server, c.phase, dryRun}, c.n)
		}
		for _, t := range e.r.seconds {
			b.add(syncSecondsDesc, &syncSecondsLabels, []string{ns, name, t.place.project, t.place.server}, t.seconds)
		}
	}
	for i := range b.series {
		ch <- &b.series[i]
	}
}

// labelSet is the label names of a series, in the order of its Desc and
// of the values given, and that order sorted by name: the registry wants
// each series' label pairs sorted, and sorts a copy of those that are not.
type labelSet struct {
	names  []string
	sorted []int
}

func newLabelSet(names ...string) labelSet {
	sorted := make([]int, len(names))
	for i := range sorted {
		sorted[i] = i
	}
	slices.SortFunc(sorted, func(i, j int) int { return strings.Compare(names[i], names[j]) })
	return labelSet{names: names, sorted: sorted}
}

// appMetric is one series as the registry reads it: a constant gauge
// (argocd_app_info) or counter, whose dto values live in the struct. It
// is complete before it is sent, so Write only points at it.
type appMetric struct {
	desc    *prometheus.Desc
	labels  []*dto.LabelPair
	value   float64
	gauge   dto.Gauge
	counter dto.Counter
}

var _ prometheus.Metric = (*appMetric)(nil)

func (m *appMetric) Desc() *prometheus.Desc { return m.desc }

func (m *appMetric) Write(out *dto.Metric) error {
	out.Label = m.labels
	if m.desc == infoDesc {
		out.Gauge = &m.gauge
	} else {
		out.Counter = &m.counter
	}
	return nil
}

// seriesBuilder makes the series of one read into slices sized for them.
type seriesBuilder struct {
	series []appMetric
	labels []*dto.LabelPair
	// pairs holds each label pair made in this read: an Application's
	// namespace and name are carried by each of its series, a project, a
	// server or a status by many Applications'. It is sized for two
	// values of each Application's own (its name and, often, its
	// destination namespace) so that it does not grow in steps.
	pairs     map[labelPairKey]*dto.LabelPair
	pairChunk []labelPair
	made      int
}

type labelPairKey struct{ name, value string }

// labelPair is a dto.LabelPair with the strings it points to.
type labelPair struct {
	dto.LabelPair
	name, value string
}

// add makes the next series of desc: values are in the order of set's
// names.
func (b *seriesBuilder) add(desc *prometheus.Desc, set *labelSet, values []string, value float64) {
	m := &b.series[b.made]
	b.made++
	m.desc, m.value = desc, value
	m.gauge.Value, m.counter.Value = &m.value, &m.value
	// The slice's capacity ends with it: a registry that wraps the
	// collector appends its own labels, which must not overwrite the
	// next series'.
	m.labels, b.labels = b.labels[:len(set.names):len(set.names)], b.labels[len(set.names):]
	for k, i := range set.sorted {
		m.labels[k] = b.pair(set.names[i], values[i])
	}
}

func (b *seriesBuilder) pair(name, value string) *dto.LabelPair {
	key := labelPairKey{name, value}
	if p, ok := b.pairs[key]; ok {
		return p
	}
	if len(b.pairChunk) == 0 {
		b.pairChunk = make([]labelPair, 256)
	}
	p := &b.pairChunk[0]
	b.pairChunk = b.pairChunk[1:]
	p.name, p.value = name, value
	p.Name, p.Value = &p.name, &p.value
	b.pairs[key] = &p.LabelPair
	return &p.LabelPair
}
