package application

import (
	"bufio"
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"unicode/utf8"

	"github.com/capstan-cd/capstan/internal/intern"
)

// The series of each Application (argocd_app_info, argocd_app_sync_total,
// argocd_app_sync_duration_seconds_total) carry Argo CD's names and
// labels. A metric vector would keep, for each series, its label pairs as
// protocol-buffer messages: some 3 KiB per Application, the largest part
// of what capstan holds per Application besides the Application itself.
// appSeries keeps the plain values instead, the repeated ones shared, and
// writes the series as text when /metrics is read (MetricsHandler).
var (
	infoFamily = seriesFamily{name: "argocd_app_info", kind: "gauge",
		help:   "Information about an Application: one series each, labelled with its source, destination, sync and health status.",
		labels: newLabelSet("namespace", "name", "project", "autosync_enabled", "repo", "dest_server", "dest_namespace", "sync_status", "health_status", "operation")}
	syncTotalFamily = seriesFamily{name: "argocd_app_sync_total", kind: "counter",
		help:   "Sync operations completed, by Application and result phase.",
		labels: newLabelSet("namespace", "name", "project", "dest_server", "phase", "dry_run")}
	syncSecondsFamily = seriesFamily{name: "argocd_app_sync_duration_seconds_total", kind: "counter",
		help:   "Time spent in sync operations, by Application.",
		labels: newLabelSet("namespace", "name", "project", "dest_server")}
)

// seriesFamily is one metric of the per-Application series: its name,
// help text and type as the text format writes them, and its labels.
type seriesFamily struct {
	name, help, kind string
	labels           labelSet
}

// labelSet is the label names of a series, in the order of the values
// given, and that order sorted by name, in which the series are written.
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

// appSeries holds the per-Application series.
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

func newAppSeries() *appSeries {
	return &appSeries{apps: map[appID]*appRecord{}}
}

// share returns the series' copy of s; the table is bounded, so the
// values of Applications long gone are not kept forever. A label value
// must be UTF-8, or a scraper refuses the whole read of /metrics.
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
// those of infoFamily, namespace and name first.
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

// writeText writes the series in the Prometheus text format (version
// 0.0.4), family by family, each Application's in order of namespace and
// name; a family without a series is left out, as a registry leaves it.
// Made into the client library's messages first, as a registry gathers
// a collector's series, the 30,000 series of 10,000 Applications took
// some 20 MB and 80,000 allocations a read, most of it alive until the
// text was written (BenchmarkMetricsRead; docs/performance.md). Here a
// read copies the records, so that it does not hold up reconciles while
// the text goes out, and writes each line from them.
func (a *appSeries) writeText(w *bufio.Writer) error {
	records, counts := a.snapshot()
	values := make([]string, 0, len(infoFamily.labels.names))
	var num []byte
	line := func(f *seriesFamily, value float64) {
		w.WriteString(f.name)
		for k, i := range f.labels.sorted {
			if k == 0 {
				w.WriteByte('{')
			} else {
				w.WriteByte(',')
			}
			w.WriteString(f.labels.names[i])
			w.WriteString(`="`)
			writeLabelValue(w, values[i])
			w.WriteByte('"')
		}
		w.WriteString("} ")
		num = appendValue(num[:0], value)
		w.Write(num)
		w.WriteByte('\n')
	}
	if counts[0] > 0 {
		writeHeader(w, &infoFamily)
		for _, r := range records {
			if r.info != nil {
				values = append(append(values[:0], r.id.namespace, r.id.name), r.info...)
				line(&infoFamily, 1)
			}
		}
	}
	if counts[1] > 0 {
		writeHeader(w, &syncTotalFamily)
		for _, r := range records {
			for _, c := range r.syncs {
				values = append(values[:0], r.id.namespace, r.id.name, c.place.project, c.place.server, c.phase, strconv.FormatBool(c.dryRun))
				line(&syncTotalFamily, c.n)
			}
		}
	}
	if counts[2] > 0 {
		writeHeader(w, &syncSecondsFamily)
		for _, r := range records {
			for _, t := range r.seconds {
				values = append(values[:0], r.id.namespace, r.id.name, t.place.project, t.place.server)
				line(&syncSecondsFamily, t.seconds)
			}
		}
	}
	return w.Flush()
}

// seriesRecord is an Application's record as a read copied it.
type seriesRecord struct {
	id appID
	appRecord
}

// snapshot copies the records, sorted by namespace and name, and counts
// the series of each family. Each Application's counts are copied into
// two slices that all share, so that a read allocates three slices, not
// two for each Application; an info slice is never changed once set
// (setInfo replaces it), so it is shared as it is.
func (a *appSeries) snapshot() ([]seriesRecord, [3]int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var counts [3]int
	for _, r := range a.apps {
		if r.info != nil {
			counts[0]++
		}
		counts[1] += len(r.syncs)
		counts[2] += len(r.seconds)
	}
	records := make([]seriesRecord, 0, len(a.apps))
	syncs, seconds := make([]syncCount, 0, counts[1]), make([]syncTime, 0, counts[2])
	for id, r := range a.apps {
		s, t := len(syncs), len(seconds)
		syncs, seconds = append(syncs, r.syncs...), append(seconds, r.seconds...)
		records = append(records, seriesRecord{id, appRecord{info: r.info, syncs: syncs[s:len(syncs):len(syncs)], seconds: seconds[t:len(seconds):len(seconds)]}})
	}
	slices.SortFunc(records, func(x, y seriesRecord) int {
		return cmp.Or(strings.Compare(x.id.namespace, y.id.namespace), strings.Compare(x.id.name, y.id.name))
	})
	return records, counts
}

func writeHeader(w *bufio.Writer, f *seriesFamily) {
	w.WriteString("# HELP ")
	w.WriteString(f.name)
	w.WriteByte(' ')
	w.WriteString(f.help)
	w.WriteString("\n# TYPE ")
	w.WriteString(f.name)
	w.WriteByte(' ')
	w.WriteString(f.kind)
	w.WriteByte('\n')
}

// labelValueEscaper escapes a label value as the text format wants it.
var labelValueEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)

func writeLabelValue(w *bufio.Writer, v string) {
	if strings.ContainsAny(v, "\\\"\n") {
		labelValueEscaper.WriteString(w, v)
		return
	}
	w.WriteString(v)
}

// appendValue appends a sample's value as the text format writes it.
func appendValue(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}
