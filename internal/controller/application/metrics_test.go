package application

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

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
argocd_app_sync_total{dest_server="https://kubernetes.default.svc",dry_run="false",name="shop",namespace="argocd",phase="Failed",project="team"} 1
argocd_app_sync_total{dest_server="https://kubernetes.default.svc",dry_run="false",name="shop",namespace="argocd",phase="Succeeded",project="team"} 2
argocd_app_sync_total{dest_server="https://kubernetes.default.svc",dry_run="true",name="shop",namespace="argocd",phase="Succeeded",project="team"} 1
# HELP argocd_app_sync_duration_seconds_total Time spent in sync operations, by Application.
# TYPE argocd_app_sync_duration_seconds_total counter
argocd_app_sync_duration_seconds_total{dest_server="https://kubernetes.default.svc",name="shop",namespace="argocd",project="team"} 3.75
`
	if err := testutil.CollectAndCompare(a, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// constSeries makes the series of a as constant metrics: what the
// client library makes of the same values, against which the series
// appSeries makes itself are checked.
type constSeries struct{ a *appSeries }

func (c constSeries) Describe(ch chan<- *prometheus.Desc) { c.a.Describe(ch) }

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

func TestAppSeriesServeWhatConstantMetricsWould(t *testing.T) {
	a := seriesOf1000()
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
	// The label pairs come sorted by name, as the registry wants them;
	// it would sort a copy of each series' otherwise.
	ch := make(chan prometheus.Metric, 4096)
	a.Collect(ch)
	close(ch)
	for m := range ch {
		var out dto.Metric
		if err := m.Write(&out); err != nil {
			t.Fatal(err)
		}
		if !slices.IsSortedFunc(out.Label, func(x, y *dto.LabelPair) int { return strings.Compare(x.GetName(), y.GetName()) }) {
			t.Fatalf("%s: labels not sorted: %v", m.Desc(), out.Label)
		}
	}
	got, want := exposition(t, a), exposition(t, constSeries{a})
	if got != want {
		t.Fatalf("the series differ from constant metrics'\n%s", cmp.Diff(want, got))
	}
	if n := strings.Count(got, "\n"); n < 3000 {
		t.Fatalf("%d lines served, want more than 3000", n)
	}
}

func TestAppSeriesServeInvalidUTF8Labels(t *testing.T) {
	a := newAppSeries()
	a.setInfo("argocd", "shop", []string{"argocd", "shop", "default", "false", "https://git.example/\xffshop.git", "https://kubernetes.default.svc", "shop", "Synced", "Healthy", ""})
	got := exposition(t, a)
	if !strings.Contains(got, "repo=\"https://git.example/\uFFFDshop.git\"") {
		t.Fatalf("the repository's invalid byte is not replaced:\n%s", got)
	}
}

// seriesOf1000 is what appSeries holds for a thousand Applications that
// have synced once: the series /metrics serves at W1's size.
func seriesOf1000() *appSeries {
	a := newAppSeries()
	for i := range 1000 {
		app := v1alpha1.Application{}
		app.Namespace, app.Name = "argocd", fmt.Sprintf("app-%04d", i)
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

// BenchmarkAppSeriesRead measures one read of /metrics's per-Application
// series at W1's size, from the registry's gathering to the text sent.
func BenchmarkAppSeriesRead(b *testing.B) {
	reg := prometheus.NewRegistry() // as controller-runtime's
	reg.MustRegister(seriesOf1000())
	for b.Loop() {
		families, err := reg.Gather()
		if err != nil {
			b.Fatal(err)
		}
		enc := expfmt.NewEncoder(io.Discard, expfmt.NewFormat(expfmt.TypeTextPlain))
		for _, f := range families {
			if err := enc.Encode(f); err != nil {
				b.Fatal(err)
			}
		}
	}
}
