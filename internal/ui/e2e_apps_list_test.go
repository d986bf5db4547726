package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// TestApplicationsList shows the test's Applications on the list page in
// a real browser: their badges, filters by URL and by the form, pages,
// the table view, a status that changes without a reload, an added
// Application announced, and the page at a phone's width.
func TestApplicationsList(t *testing.T) {
	s := startCapstan(t)
	// The Applications' statuses are written here, as a controller would
	// write them, so that each is known: the controller leaves them alone.
	live := listedApp(t, "ulist-live", "default", "OutOfSync", "Missing")
	listedApp(t, "ulist-manual", "default", "OutOfSync", "Degraded")
	listedApp(t, "ulist-other", "ulist-team", "Synced", "Healthy")

	ctx := browser(t)
	login(t, ctx, s, "admin", s.Password)
	base := s.URL + "/applications?search=ulist-"

	run(t, ctx, "see the Applications", chromedp.Navigate(base), chromedp.WaitVisible(css(`[data-app="ulist-live"]`)))
	if got := tiles(t, ctx); strings.Join(got, " ") != "ulist-live ulist-manual ulist-other" {
		t.Errorf("the page shows %v", got)
	}
	badges := read(t, ctx, "the badges", chromedp.Evaluate[[]string](`[...document.querySelectorAll('.app-tile')].map(e => e.querySelector('[data-field=sync]').innerText + " " + e.querySelector('[data-field=health]').innerText)`))
	if diff := cmp.Diff([]string{"OutOfSync Missing", "OutOfSync Degraded", "Synced Healthy"}, badges); diff != "" {
		t.Errorf("badges (-want +got):\n%s", diff)
	}
	if href := read(t, ctx, "the link", chromedp.AttributeValue(css(`[data-app="ulist-live"] h2 a`), "href")); href.Value != "/applications/argocd/ulist-live" {
		t.Errorf("the tile links to %q", href.Value)
	}

	// A sync turns the badge and the counts Synced without a reload; an
	// Application added meanwhile is announced, not inserted.
	run(t, ctx, "mark the page", chromedp.Evaluate[chromedp.Void](`window.ulistSamePage = true`))
	setStatus(t, live, "Synced", "Healthy")
	listedApp(t, "ulist-added", "default", "Unknown", "Unknown")
	run(t, ctx, "watch the sync live",
		chromedp.Poll[chromedp.Void](`window.ulistSamePage && document.querySelector('[data-app="ulist-live"] [data-field=sync] .sync-synced') !== null`),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-count="sync:Synced"]').textContent === "2"`),
		chromedp.Poll[chromedp.Void](`!document.querySelector('.apps-changes').hidden`),
	)
	if got := tiles(t, ctx); len(got) != 3 {
		t.Errorf("after an Application was added the page shows %v, want the same three", got)
	}
	screenshot(t, ctx, "apps-tiles")

	// Filters in the URL.
	run(t, ctx, "filter by project", chromedp.Navigate(base+"&project=ulist-team"), chromedp.WaitVisible(css(`.apps-results`)))
	if got := tiles(t, ctx); strings.Join(got, " ") != "ulist-other" {
		t.Errorf("project ulist-team shows %v", got)
	}
	run(t, ctx, "filter by health", chromedp.Navigate(base+"&health=Healthy"),
		chromedp.WaitVisible(css(`.apps-results`)))
	if got := tiles(t, ctx); strings.Join(got, " ") != "ulist-live ulist-other" {
		t.Errorf("health Healthy shows %v", got)
	}

	// The same through the form, without scripts' help.
	run(t, ctx, "filter with the form",
		chromedp.Navigate(base),
		chromedp.WaitVisible(css(`.apps-filters`)),
		chromedp.Click(css(`.apps-filters input[name=health][value=Healthy]`)),
		chromedp.SendKeys(css(`.apps-filters input[name=project]`), "default"),
		chromedp.Click(css(`.apps-filters button[type=submit]`)),
		// The page the form leads to, where ulist-manual (Degraded) is gone.
		chromedp.WaitVisible(css(`.apps-tiles:not(:has([data-app="ulist-manual"]))`)),
	)
	loc := read(t, ctx, "where", chromedp.Location())
	if !strings.Contains(loc, "health=Healthy") || !strings.Contains(loc, "project=default") {
		t.Errorf("the form led to %s, want health and project in the URL", loc)
	}
	if got := tiles(t, ctx); strings.Join(got, " ") != "ulist-live" {
		t.Errorf("the form's filters show %v", got)
	}
	screenshot(t, ctx, "apps-filters")

	// Pages of two.
	run(t, ctx, "page through", chromedp.Navigate(base+"&size=2"), chromedp.WaitVisible(css(`.apps-showing`)))
	if got := read(t, ctx, "showing", chromedp.Text(css(`.apps-showing`))); got != "Showing 1–2 of 4" {
		t.Errorf("first page: %q", got)
	}
	run(t, ctx, "next page", chromedp.Click(css(`a[rel=next]`)), chromedp.WaitVisible(css(`a[rel=prev]`)))
	if got := read(t, ctx, "showing", chromedp.Text(css(`.apps-showing`))); got != "Showing 3–4 of 4" {
		t.Errorf("second page: %q", got)
	}
	if got := tiles(t, ctx); strings.Join(got, " ") != "ulist-manual ulist-other" {
		t.Errorf("second page shows %v", got)
	}

	// The table view.
	run(t, ctx, "table view", chromedp.Navigate(base+"&view=table"), chromedp.WaitVisible(css(`table.apps-table`)))
	rows := read(t, ctx, "rows", chromedp.Evaluate[[]string](`[...document.querySelectorAll('table.apps-table tbody tr')].map(r => r.dataset.app)`))
	if strings.Join(rows, " ") != "ulist-added ulist-live ulist-manual ulist-other" {
		t.Errorf("the table shows %v", rows)
	}
	if got := read(t, ctx, "badge", chromedp.Text(css(`tr[data-app="ulist-live"] [data-field=health]`))); got != "Healthy" {
		t.Errorf("the table's health of ulist-live is %q", got)
	}
	screenshot(t, ctx, "apps-table")

	// A phone's width: nothing wider than the screen.
	run(t, ctx, "at a phone's width, unfiltered", chromedp.EmulateViewport(390, 800),
		chromedp.Navigate(s.URL+"/applications"), chromedp.WaitVisible(css(`.app-tile`)))
	if open := read(t, ctx, "filters", chromedp.Evaluate[bool](`document.querySelector('.apps-filter-box').open`)); open {
		t.Error("at 390px without filters set the filters start unfolded")
	}
	run(t, ctx, "at a phone's width, filtered", chromedp.Navigate(base), chromedp.WaitVisible(css(`.app-tile`)))
	if wide := read(t, ctx, "width", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); wide {
		t.Error("at 390px the page is wider than the screen")
	}
	screenshot(t, ctx, "apps-phone")

	// A user who may get the Applications of one project sees, counts
	// and is offered those alone.
	addUser(t, "ulist-viewer", "ulist-viewer-pass", "p, NAME, applications, get, ulist-team/*, allow")
	viewer := browser(t)
	login(t, viewer, s, "ulist-viewer", "ulist-viewer-pass")
	run(t, viewer, "the viewer's list", chromedp.Navigate(s.URL+"/applications"), chromedp.WaitVisible(css(`.apps-results`)))
	if got := tiles(t, viewer); strings.Join(got, " ") != "ulist-other" {
		t.Errorf("a user of project ulist-team sees %v", got)
	}
	if got := read(t, viewer, "total", chromedp.Text(css(`.apps-total`))); got != "1 in all" {
		t.Errorf("a user of project ulist-team is told %q", got)
	}
	options := read(t, viewer, "options", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#apps-projects option')].map(o => o.value)`))
	if strings.Join(options, " ") != "ulist-team" {
		t.Errorf("a user of project ulist-team is offered projects %v", options)
	}
}

// tiles are the names of the Applications the page shows as tiles.
func tiles(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return read(t, ctx, "the tiles", chromedp.Evaluate[[]string](`[...document.querySelectorAll('.app-tile')].map(e => e.dataset.app)`))
}

// listedApp creates an Application of project with the sync status and
// health given, which the controller skips (skip-reconcile): its status
// is the test's to write.
func listedApp(t *testing.T, name, project, sync, health string) *v1alpha1.Application {
	t.Helper()
	app := &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: controlPlane, Name: name,
			Annotations: map[string]string{v1alpha1.AnnotationSkipReconcile: "true"}},
		Spec: v1alpha1.ApplicationSpec{
			Project:     project,
			Source:      &v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/" + name + ".git", TargetRevision: "main", Path: "deploy"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: name},
		},
	}
	cl := kube(t)
	if err := cl.Create(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Delete(context.Background(), app) })
	setStatus(t, app, sync, health)
	return app
}

// setStatus writes app's sync status and health, as the controller would.
func setStatus(t *testing.T, app *v1alpha1.Application, sync, health string) {
	t.Helper()
	cl := kube(t)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var got v1alpha1.Application
		if err := cl.Get(context.Background(), client.ObjectKeyFromObject(app), &got); err != nil {
			return err
		}
		got.Status.Sync.Status = v1alpha1.SyncStatusCode(sync)
		got.Status.Health.Status = v1alpha1.HealthStatusCode(health)
		got.Status.OperationState = &v1alpha1.OperationState{Phase: "Succeeded", StartedAt: metav1.Now()}
		return cl.Status().Update(context.Background(), &got)
	})
	if err != nil {
		t.Fatal(err)
	}
}
