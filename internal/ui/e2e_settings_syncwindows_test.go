package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// TestSettingsSyncWindows adds a deny window on a project's page, sees it
// listed, edits it in place and deletes it, finding the AppProject in the
// API server as the page says each time. A bad schedule or duration is
// refused by the API with its reason shown on the form, which keeps what
// was typed, and the project is left as it was.
func TestSettingsSyncWindows(t *testing.T) {
	s := startCapstan(t)
	const name = "uiset-windows"
	p := &v1alpha1.AppProject{ObjectMeta: objectMeta(name), Spec: v1alpha1.AppProjectSpec{SourceRepos: []string{"*"}}}
	if err := kube(t).Create(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube(t).Delete(context.Background(), p) })
	windows := func() v1alpha1.SyncWindows {
		t.Helper()
		var got v1alpha1.AppProject
		if err := kube(t).Get(context.Background(), client.ObjectKey{Namespace: controlPlane, Name: name}, &got); err != nil {
			t.Fatal(err)
		}
		return got.Spec.SyncWindows
	}
	ctx := settingsBrowser(t)
	login(t, ctx, s, "admin", s.Password)

	run(t, ctx, "add a deny window",
		chromedp.Navigate(s.URL+"/settings/projects/"+name),
		chromedp.Click(css(`#new-window summary`)),
		chromedp.SetValue(css(`#new-window select[name=kind]`), "deny"),
		chromedp.SendKeys(css(`#new-window input[name=schedule]`), "0 22 * * *"),
		chromedp.SendKeys(css(`#new-window input[name=duration]`), "1h"),
		chromedp.SendKeys(css(`#new-window input[name=namespaces]`), "prod-*"),
		chromedp.SendKeys(css(`#new-window input[name=clusters]`), "in-cluster"),
		chromedp.SendKeys(css(`#new-window input[name=timeZone]`), "UTC"),
		chromedp.SendKeys(css(`#new-window input[name=description]`), "nightly freeze"),
		chromedp.Click(css(`#new-window input[name=andOperator]`)),
		chromedp.Click(css(`#new-window button[type=submit]`)),
		waitDone("window-added"),
	)
	added := v1alpha1.SyncWindow{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h", Namespaces: []string{"prod-*"}, Clusters: []string{"in-cluster"},
		TimeZone: "UTC", Description: "nightly freeze", UseAndOperator: true}
	if diff := cmp.Diff(v1alpha1.SyncWindows{added}, windows()); diff != "" {
		t.Errorf("the project's windows after adding one (-want +got):\n%s", diff)
	}
	row := read(t, ctx, "the window's row", chromedp.Text(css(`#window-0`)))
	for _, want := range []string{"deny", "0 22 * * *", "UTC", "nightly freeze", "1h", "prod-*", "in-cluster", "matches all selectors"} {
		if !strings.Contains(row, want) {
			t.Errorf("the window is listed as %q, without %q", row, want)
		}
	}

	if label := read(t, ctx, "the Edit link's name", chromedp.AttributeValue(css(`#window-0 a.edit-window`), "aria-label")).Value; label != "Edit sync window 1" {
		t.Errorf("the Edit link is named %q for screen readers, want the window it edits", label)
	}
	run(t, ctx, "edit the window",
		chromedp.Click(css(`#window-0 a.edit-window`)),
		chromedp.WaitVisible(css(`#edit-window`)),
	)
	form := read(t, ctx, "the edit form", chromedp.Evaluate[map[string]any](`(() => {
		const f = document.querySelector("#edit-window form");
		return {kind: f.kind.value, schedule: f.schedule.value, duration: f.duration.value, namespaces: f.namespaces.value,
			clusters: f.clusters.value, timeZone: f.timeZone.value, andOperator: f.andOperator.checked, manualSync: f.manualSync.checked};
	})()`))
	wantForm := map[string]any{"kind": "deny", "schedule": "0 22 * * *", "duration": "1h", "namespaces": "prod-*",
		"clusters": "in-cluster", "timeZone": "UTC", "andOperator": true, "manualSync": false}
	if diff := cmp.Diff(wantForm, form); diff != "" {
		t.Errorf("the edit form shows the window as (-want +got):\n%s", diff)
	}
	run(t, ctx, "change it",
		chromedp.SetValue(css(`#edit-window input[name=schedule]`), "30 23 * * 1-5"),
		chromedp.SetValue(css(`#edit-window input[name=duration]`), "2h30m"),
		chromedp.SetValue(css(`#edit-window input[name=applications]`), "web, api"),
		chromedp.Clear(css(`#edit-window input[name=clusters]`)),
		chromedp.Click(css(`#edit-window input[name=andOperator]`)),
		chromedp.Click(css(`#edit-window input[name=manualSync]`)),
		chromedp.Click(css(`#edit-window button[type=submit]`)),
		waitDone("window-saved"),
	)
	edited := v1alpha1.SyncWindow{Kind: "deny", Schedule: "30 23 * * 1-5", Duration: "2h30m", Applications: []string{"web", "api"}, Namespaces: []string{"prod-*"},
		TimeZone: "UTC", Description: "nightly freeze", ManualSync: true}
	if diff := cmp.Diff(v1alpha1.SyncWindows{edited}, windows()); diff != "" {
		t.Errorf("the project's windows after an edit (-want +got):\n%s", diff)
	}
	if row := read(t, ctx, "the edited row", chromedp.Text(css(`#window-0`))); !strings.Contains(row, "30 23 * * 1-5") || !strings.Contains(row, "web, api") {
		t.Errorf("the edited window is listed as %q", row)
	}

	// A schedule with hour 25: the API refuses it, the form says why and
	// keeps what was typed, and the project keeps its window.
	run(t, ctx, "save a bad schedule",
		chromedp.Click(css(`#window-0 a.edit-window`)),
		chromedp.WaitVisible(css(`#edit-window`)),
		chromedp.SetValue(css(`#edit-window input[name=schedule]`), "30 25 * * *"),
		chromedp.Click(css(`#edit-window button[type=submit]`)),
		chromedp.WaitVisible(css(`#edit-window #window-error`)),
	)
	if msg := read(t, ctx, "the error", chromedp.Text(css(`#window-error`))); !strings.Contains(msg, `sync window 1: schedule "30 25 * * *" is not a cron schedule`) {
		t.Errorf("a bad schedule shows %q, want the API's reason naming the window and its schedule", msg)
	}
	if v := read(t, ctx, "the schedule field", chromedp.Value(css(`#edit-window input[name=schedule]`))); v != "30 25 * * *" {
		t.Errorf("the form kept the schedule %q, want what was typed", v)
	}
	if diff := cmp.Diff(v1alpha1.SyncWindows{edited}, windows()); diff != "" {
		t.Errorf("a refused schedule changed the project's windows (-want +got):\n%s", diff)
	}
	screenshot(t, ctx, "settings-project-window-error")
	run(t, ctx, "a phone-wide screen", chromedp.EmulateViewport(390, 844), chromedp.WaitVisible(css(`#window-error`)))
	if wide := read(t, ctx, "measure", chromedp.Evaluate[string](overflowing)); wide != "" {
		t.Errorf("the sync window form is wider than a 390px screen: %s", wide)
	}
	run(t, ctx, "a wide screen again", chromedp.EmulateViewport(int64(viewport[0]), int64(viewport[1])))

	run(t, ctx, "add a window with a bad duration",
		chromedp.Navigate(s.URL+"/settings/projects/"+name),
		chromedp.Click(css(`#new-window summary`)),
		chromedp.SendKeys(css(`#new-window input[name=schedule]`), "@daily"),
		chromedp.SendKeys(css(`#new-window input[name=duration]`), "an hour"),
		chromedp.SendKeys(css(`#new-window input[name=applications]`), "*"),
		chromedp.Click(css(`#new-window button[type=submit]`)),
		chromedp.WaitVisible(css(`#new-window #window-error`)),
	)
	if msg := read(t, ctx, "the error", chromedp.Text(css(`#window-error`))); !strings.Contains(msg, `sync window 2: duration "an hour"`) {
		t.Errorf("a bad duration shows %q, want the API's reason", msg)
	}
	if diff := cmp.Diff(v1alpha1.SyncWindows{edited}, windows()); diff != "" {
		t.Errorf("a refused window changed the project's windows (-want +got):\n%s", diff)
	}

	// Someone changes the project while the edit form is open: the form
	// says so and keeps what was typed, and their change stays.
	run(t, ctx, "open the edit form",
		chromedp.Navigate(s.URL+"/settings/projects/"+name),
		chromedp.Click(css(`#window-0 a.edit-window`)),
		chromedp.WaitVisible(css(`#edit-window`)),
		chromedp.SetValue(css(`#edit-window input[name=schedule]`), "0 3 * * *"),
	)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var got v1alpha1.AppProject
		if err := kube(t).Get(context.Background(), client.ObjectKey{Namespace: controlPlane, Name: name}, &got); err != nil {
			return err
		}
		got.Spec.Description = "changed behind the form"
		return kube(t).Update(context.Background(), &got)
	})
	if err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "save over the change",
		chromedp.Click(css(`#edit-window button[type=submit]`)),
		chromedp.WaitVisible(css(`#edit-window #window-error`)),
	)
	if msg := read(t, ctx, "the error", chromedp.Text(css(`#window-error`))); !strings.Contains(msg, "changed by someone else") {
		t.Errorf("a conflicting save shows %q, want that the project changed meanwhile", msg)
	}
	if v := read(t, ctx, "the schedule field", chromedp.Value(css(`#edit-window input[name=schedule]`))); v != "0 3 * * *" {
		t.Errorf("after a conflict the form kept the schedule %q, want what was typed", v)
	}
	if diff := cmp.Diff(v1alpha1.SyncWindows{edited}, windows()); diff != "" {
		t.Errorf("a conflicting save changed the project's windows (-want +got):\n%s", diff)
	}

	run(t, ctx, "delete the window",
		chromedp.Navigate(s.URL+"/settings/projects/"+name),
		skipConfirm(`#window-0 form`),
		chromedp.Click(css(`#window-0 form button`)),
		waitDone("window-deleted"),
	)
	if got := windows(); len(got) != 0 {
		t.Errorf("after a delete the project has windows %+v", got)
	}
	if n := read(t, ctx, "count the rows", chromedp.Evaluate[int](`document.querySelectorAll("#windows tbody tr[id^=window-]").length`)); n != 0 {
		t.Errorf("after a delete the page lists %d windows", n)
	}
}

// TestSettingsSyncWindowsReadOnly shows a user who may get a project but
// not update it its windows without a way to change them, even at the
// edit form's address; a form they force is refused by the API.
func TestSettingsSyncWindowsReadOnly(t *testing.T) {
	s := startCapstan(t)
	const name = "uiset-windows-ro"
	window := v1alpha1.SyncWindow{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h", Applications: []string{"*"}}
	p := &v1alpha1.AppProject{ObjectMeta: objectMeta(name), Spec: v1alpha1.AppProjectSpec{SourceRepos: []string{"*"}, SyncWindows: v1alpha1.SyncWindows{window}}}
	if err := kube(t).Create(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube(t).Delete(context.Background(), p) })
	addUser(t, "uiset-win-viewer", "uiset-win-viewer-pass", "p, NAME, projects, get, "+name+", allow")
	ctx := settingsBrowser(t)
	login(t, ctx, s, "uiset-win-viewer", "uiset-win-viewer-pass")
	run(t, ctx, "open the edit form's address", chromedp.Navigate(s.URL+"/settings/projects/"+name+"?window=0"), chromedp.WaitVisible(css(`#window-0`)))
	if n := read(t, ctx, "count the controls", chromedp.Evaluate[int](`document.querySelectorAll(".edit-window, #edit-window, #new-window, #windows form").length`)); n != 0 {
		t.Errorf("a user who may not update the project sees %d sync window controls", n)
	}
	token := apiLogin(t, s, "uiset-win-viewer", "uiset-win-viewer-pass")
	status, body := postForm(t, s, token, "/settings/projects/"+name+"/windows", url.Values{"index": {"0"}, "kind": {"allow"}, "schedule": {"* * * * *"}, "duration": {"1h"}, "applications": {"*"}})
	if status != http.StatusForbidden || !strings.Contains(body, "permission denied") {
		t.Errorf("a forced edit answered %d %q, want 403 with the API's message", status, excerpt(body))
	}
	var got v1alpha1.AppProject
	if err := kube(t).Get(context.Background(), client.ObjectKey{Namespace: controlPlane, Name: name}, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(v1alpha1.SyncWindows{window}, got.Spec.SyncWindows); diff != "" {
		t.Errorf("a forced edit changed the windows (-want +got):\n%s", diff)
	}
}
