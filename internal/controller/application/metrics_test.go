package application

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

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
argocd_app_sync_total{dest_server="https://kubernetes.default.svc",dry_run="false",name="shop",namespace="argocd",phase="Succeeded",project="team"} 2
argocd_app_sync_total{dest_server="https://kubernetes.default.svc",dry_run="false",name="shop",namespace="argocd",phase="Failed",project="team"} 1
argocd_app_sync_total{dest_server="https://kubernetes.default.svc",dry_run="true",name="shop",namespace="argocd",phase="Succeeded",project="team"} 1
# HELP argocd_app_sync_duration_seconds_total Time spent in sync operations, by Application.
# TYPE argocd_app_sync_duration_seconds_total counter
argocd_app_sync_duration_seconds_total{dest_server="https://kubernetes.default.svc",name="shop",namespace="argocd",project="team"} 3.75
`
	if got := writtenText(t, a); got != want[1:] {
		t.Errorf("written:\n%s\nwant:\n%s", got, want[1:])
	}
}

// writtenText is what a writes of its series.
func writtenText(t testing.TB, a *appSeries) string {
	t.Helper()
	var out strings.Builder
	if err := a.writeText(bufio.NewWriter(&out)); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// constSeries makes the series of a as constant metrics: what the
// client library makes of the same values, against which the text
// appSeries writes itself is checked.
type constSeries struct{ a *appSeries }

var (
	infoDesc        = familyDesc(&infoFamily)
	syncTotalDesc   = familyDesc(&syncTotalFamily)
	syncSecondsDesc = familyDesc(&syncSecondsFamily)
)

func familyDesc(f *seriesFamily) *prometheus.Desc {
	return prometheus.NewDesc(f.name, f.help, f.labels.names, nil)
}

func (c constSeries) Describe(ch chan<- *prometheus.Desc) {
	ch <- infoDesc
	ch <- syncTotalDesc
	ch <- syncSecondsDesc
}

func (c constSeries) Collect(ch chan<- prometheus.Metric) {
	for id, r := range c.a.apps {
		if r.info != nil {
			ch <- prometheus.MustNewConstMetric(infoDesc, prometheus.GaugeValue, 1, append([]string{id.namespace, id.name}, r.info...)...)
		}
		for _, s := range r.syncs {
			ch <- prometheus.MustNewConstMetric(syncTotalDesc, prometheus.CounterValue, s.n, id.namespace, id.name, s.place.project, s.place.server, s.phase, strconv.FormatBool(s.dryRun))
		}
		for _, s := range r.seconds {
			ch <- prometheus.MustNewConstMetric(syncSecondsDesc, prometheus.CounterValue, s.seconds, id.namespace, id.name, s.place.project, s.place.server)
		}
	}
}

// exposition is what a registry of c serves as text.
func exposition(t testing.TB, c prometheus.Collector) string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	enc := expfmt.NewEncoder(&out, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			t.Fatal(err)
		}
	}
	return out.String()
}

func TestAppSeriesWriteWhatTheEncoderWould(t *testing.T) {
	a := seriesOf(1000)
	// Some Applications elsewhere, in other projects and states, some
	// never reconciled (no info series), some synced more than once.
	for i := range 50 {
		ns, name := fmt.Sprintf("team-%d", i%3), fmt.Sprintf("app-%d", i)
		place := syncPlace{project: fmt.Sprintf("project-%d", i%4), server: "https://10.0.0.1:6443"}
		if i%5 != 0 {
			a.setInfo(ns, name, []string{ns, name, place.project, "true", "https://git.example/team.git", place.server, name, "OutOfSync", "Progressing", "sync"})
		}
		a.addSync(ns, name, place, "Failed", i%2 == 0, false, 0)
		a.addSync(ns, name, place, "Succeeded", false, true, float64(i)/4)
		a.addSync(ns, name, syncPlace{project: "moved", server: place.server}, "Succeeded", false, true, 1)
	}
	// Values the text format escapes, and sums it writes with an
	// exponent.
	a.setInfo("odd", "quotes", []string{"odd", "quotes", "default", "false", `https://git.example/a"b\c` + "\nd.git", "https://10.0.0.1:6443", "odd", "Unknown", "Missing", ""})
	a.addSync("odd", "quotes", syncPlace{project: "default", server: "https://10.0.0.1:6443"}, "Succeeded", false, true, 1.5e21)
	a.addSync("odd", "quotes", syncPlace{project: "default", server: "https://10.0.0.1:6443"}, "Error", true, true, 1e-7)

	got, want := writtenText(t, a), exposition(t, constSeries{a})
	if gotLines, wantLines := sortedLines(got), sortedLines(want); !slices.Equal(gotLines, wantLines) {
		t.Fatalf("the lines written differ from the encoder's\n%s", cmp.Diff(wantLines, gotLines))
	}
	// Each family's series follow its header, as the format wants them.
	family := ""
	for line := range strings.Lines(got) {
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			family, _, _ = strings.Cut(name, " ")
		} else if !strings.HasPrefix(line, "# ") && !strings.HasPrefix(line, family+"{") {
			t.Fatalf("a series outside its family %q: %s", family, line)
		}
	}
	if n := strings.Count(got, "\n"); n < 3000 {
		t.Fatalf("%d lines written, want more than 3000", n)
	}
	if !strings.Contains(got, `repo="https://git.example/a\"b\\c\nd.git"`) || !strings.Contains(got, "} 1.5e+21\n") {
		t.Fatalf("the escaped repository or the sum with an exponent is not there:\n%s", got[strings.Index(got, "odd"):])
	}
}

func sortedLines(s string) []string {
	lines := strings.Split(s, "\n")
	slices.Sort(lines)
	return lines
}

func TestAppSeriesServeInvalidUTF8Labels(t *testing.T) {
	a := newAppSeries()
	a.setInfo("argocd", "shop", []string{"argocd", "shop", "default", "false", "https://git.example/\xffshop.git", "https://kubernetes.default.svc", "shop", "Synced", "Healthy", ""})
	got := writtenText(t, a)
	if !strings.Contains(got, "repo=\"https://git.example/\uFFFDshop.git\"") {
		t.Fatalf("the repository's invalid byte is not replaced:\n%s", got)
	}
}

// seriesOf is what appSeries holds for n Applications that have synced
// once: the series /metrics serves at W1's size (1000) or W2's (10,000).
func seriesOf(n int) *appSeries {
	a := newAppSeries()
	for i := range n {
		app := v1alpha1.Application{}
		app.Namespace, app.Name = "argocd", fmt.Sprintf("app-%05d", i)
		app.Spec.Project = "default"
		app.Spec.Source = &v1alpha1.ApplicationSource{RepoURL: "https://git.example/apps.git"}
		app.Spec.Destination = v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: app.Name}
		app.Status.Sync.Status = v1alpha1.SyncStatusCodeSynced
		app.Status.Health.Status = "Healthy"
		a.setInfo(app.Namespace, app.Name, appInfoValues(&app))
		a.addSync(app.Namespace, app.Name, syncPlace{project: "default", server: app.Spec.Destination.Server}, "Succeeded", false, true, 0.5)
	}
	return a
}

// servedMetrics reads /metrics from MetricsHandler over a registry
// with one counter, with perApp as the per-Application series.
func servedMetrics(t *testing.T, acceptEncoding string) *httptest.ResponseRecorder {
	t.Helper()
	reg := prometheus.NewRegistry()
	counter := prometheus.NewCounter(prometheus.CounterOpts{Name: "capstan_test_total", Help: "A counter of the test."})
	counter.Add(3)
	reg.MustRegister(counter)
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept-Encoding", acceptEncoding)
	// A scraper that prefers protocol buffers is answered in text.
	req.Header.Set("Accept", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.9,text/plain;version=0.0.4;q=0.5")
	rec := httptest.NewRecorder()
	MetricsHandler(reg).ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics answered %d: %s", rec.Code, rec.Body)
	}
	return rec
}

func TestMetricsHandler(t *testing.T) {
	saved := perApp
	t.Cleanup(func() { perApp = saved })
	perApp = seriesOf(3)

	plain := servedMetrics(t, "")
	if got, want := plain.Header().Get("Content-Type"), "text/plain; version=0.0.4; charset=utf-8"; got != want {
		t.Errorf("Content-Type %q, want %q", got, want)
	}
	zipped := servedMetrics(t, "deflate, gzip;q=0.5")
	if got := zipped.Header().Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", got)
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if string(unzipped) != plain.Body.String() {
		t.Errorf("gzipped, /metrics served other text:\n%s\nagainst\n%s", unzipped, plain.Body)
	}
	body := plain.Body.String()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("a scraper cannot read /metrics: %v\n%s", err, body)
	}
	for name, series := range map[string]int{"capstan_test_total": 1, "argocd_app_info": 3, "argocd_app_sync_total": 3, "argocd_app_sync_duration_seconds_total": 3} {
		if got := len(families[name].GetMetric()); got != series {
			t.Errorf("%s: %d series served, want %d", name, got, series)
		}
	}
	if !strings.HasPrefix(body, "# HELP capstan_test_total A counter of the test.\n# TYPE capstan_test_total counter\ncapstan_test_total 3\n") {
		t.Errorf("the registry's series do not come first:\n%s", body)
	}
}

func TestMetricsHandlerFailsAReadWhoseGatheringFailed(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(failingCollector{})
	rec := httptest.NewRecorder()
	MetricsHandler(reg).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "no value") {
		t.Fatalf("/metrics answered %d: %s; want 500 naming the metric", rec.Code, rec.Body)
	}
}

// failingCollector is a collector whose one series cannot be read.
type failingCollector struct{}

func (failingCollector) Describe(chan<- *prometheus.Desc) {}

func (failingCollector) Collect(ch chan<- prometheus.Metric) {
	desc := prometheus.NewDesc("broken_total", "A series that cannot be read.", nil, nil)
	ch <- prometheus.NewInvalidMetric(desc, errors.New("no value"))
}

func TestMetricsHandlerDropsAReadCutShort(t *testing.T) {
	// A family the encoder refuses, after one it writes.
	fine, empty, one := "fine_total", "empty_total", 1.0
	families := []*dto.MetricFamily{
		{Name: &fine, Type: dto.MetricType_COUNTER.Enum(), Metric: []*dto.Metric{{Counter: &dto.Counter{Value: &one}}}},
		{Name: &empty, Type: dto.MetricType_COUNTER.Enum()},
	}
	gatherer := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return families, nil })
	for _, encoding := range []string{"", "gzip"} {
		t.Run("encoding="+encoding, func(t *testing.T) {
			defer func() {
				if r := recover(); r != http.ErrAbortHandler {
					t.Errorf("a read cut short ended with %v, want the connection dropped (http.ErrAbortHandler)", r)
				}
			}()
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.Header.Set("Accept-Encoding", encoding)
			MetricsHandler(gatherer).ServeHTTP(httptest.NewRecorder(), req)
		})
	}
}

func TestMetricsHandlerAnswersHead(t *testing.T) {
	reg := prometheus.NewRegistry()
	rec := httptest.NewRecorder()
	MetricsHandler(reg).ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/metrics", nil))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Type") == "" {
		t.Errorf("HEAD /metrics answered %d, %d bytes, Content-Type %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Type"))
	}
}

func TestAcceptsGzip(t *testing.T) {
	for _, tc := range []struct {
		headers []string
		want    bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"deflate, GZIP"}, true},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; Q = 0"}, false},
		{[]string{"gzip;level=1;q=0"}, false},
		{[]string{"gzip; q=0.3, identity"}, true},
		{[]string{"identity"}, false},
		{[]string{"x-gzip"}, false},
		{[]string{"deflate", "gzip"}, true},
	} {
		if got := acceptsGzip(tc.headers); got != tc.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tc.headers, got, tc.want)
		}
	}
}

// BenchmarkMetricsRead measures one read of /metrics as
// MetricsHandler serves it, the per-Application series of 1000 and
// 10,000 Applications (W1's and W2's) after an empty registry's.
func BenchmarkMetricsRead(b *testing.B) {
	saved := perApp
	b.Cleanup(func() { perApp = saved })
	for _, n := range []int{1000, 10000} {
		for _, gzipped := range []bool{false, true} {
			b.Run(fmt.Sprintf("apps=%d/gzip=%v", n, gzipped), func(b *testing.B) {
				perApp = seriesOf(n)
				h := MetricsHandler(prometheus.NewRegistry())
				req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
				if gzipped {
					req.Header.Set("Accept-Encoding", "gzip")
				}
				var body countingWriter
				for b.Loop() {
					body = countingWriter{header: http.Header{}}
					h.ServeHTTP(&body, req)
				}
				b.ReportMetric(float64(body.n), "body-bytes")
			})
		}
	}
}

// countingWriter is a ResponseWriter that counts the body and keeps
// none of it, as a connection does.
type countingWriter struct {
	header http.Header
	n      int
}

func (w *countingWriter) Header() http.Header { return w.header }
func (w *countingWriter) WriteHeader(int)     {}
func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	return len(p), nil
}
