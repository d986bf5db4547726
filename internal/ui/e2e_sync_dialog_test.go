package ui_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// The sync dialog of the Application page: its Sync button opens the sync
// form in a modal <dialog> and posts it without leaving the page.

// Expressions about the dialog, for the tests below.
const (
	dialogOpen = `!!document.querySelector("#sync-dialog[open] #ops-sync-form")`
	// dialogClosed holds once the dialog is closed and the focus is back
	// on the Sync button.
	dialogClosed  = `!document.querySelector("#sync-dialog[open]") && !!document.activeElement && document.activeElement.matches("a[data-sync-dialog]")`
	focusInDialog = `document.getElementById("sync-dialog").contains(document.activeElement) && document.activeElement !== document.getElementById("sync-dialog")`
)

// dialogApp creates a manual Application name deploying the ConfigMaps
// cms, and waits until it has been compared, so that the sync form lists
// them.
func dialogApp(t *testing.T, name string, cms ...string) {
	t.Helper()
	files := map[string]string{}
	for _, cm := range cms {
		files[cm+".yaml"] = configMap(cm, cm)
	}
	newApp(t, name, files, false)
	opsWait(t, name+" to be compared", func() bool {
		st := opsApp(t, name).Status
		return st.Sync.Status == v1alpha1.SyncStatusCodeOutOfSync && len(st.Resources) == len(cms)
	})
}

// dialogResource is the selector of the dialog's checkbox of ConfigMap cm
// of the Application name.
func dialogResource(name, cm string) string {
	return fmt.Sprintf(`#sync-dialog input[name=resource][value="/ConfigMap/%s/%s"]`, name, cm)
}

// windowScreenshot saves what the window shows as docs/ui/<name>.png, when
// screenshot would save the whole page: a modal dialog stays in the
// window, and a picture of the whole page would show it cut off.
func windowScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if dir := os.Getenv("CAPSTAN_UI_SCREENSHOTS"); dir != "" {
		png := read(t, ctx, "take a screenshot", chromedp.CaptureScreenshot())
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSyncDialog opens the dialog from the keyboard, closes it with Escape
// and Cancel, shows a refusal in it, then syncs two of three resources with
// prune from it, and sees the operation run on the page it never left.
func TestSyncDialog(t *testing.T) {
	s := startCapstan(t)
	const name = "dlg-pick"
	dialogApp(t, name, "one", "two", "three")
	ctx := browser(t)
	login(t, ctx, s, "admin", s.Password)

	run(t, ctx, "open the application's page",
		chromedp.Navigate(fmt.Sprintf("%s/applications/%s/%s", s.URL, controlPlane, name)),
		chromedp.WaitVisible(css(`a[data-sync-dialog]`)),
		// Gone if the page is ever loaded again.
		chromedp.Evaluate[chromedp.Void](`window.sameDocument = true`),
		// What the dialog brings must keep to the page's CSP.
		chromedp.Evaluate[chromedp.Void](`window.violations = []; document.addEventListener("securitypolicyviolation", e => violations.push(e.violatedDirective + " " + e.blockedURI))`),
	)
	// Without JavaScript the button is a link to the sync page.
	if href := read(t, ctx, "the Sync button's link", chromedp.Evaluate[string](`document.querySelector("a[data-sync-dialog]").getAttribute("href")`)); href != "/applications/argocd/dlg-pick/sync" {
		t.Errorf("the Sync button links to %q, want the sync page", href)
	}

	run(t, ctx, "open the dialog from the keyboard",
		chromedp.Focus(css(`a[data-sync-dialog]`)),
		chromedp.KeyEvent(kb.Enter),
		chromedp.Poll[chromedp.Void](dialogOpen, chromedp.WithPollingMutation()),
		chromedp.WaitVisible(css(dialogResource(name, "three")+`:checked`)),
	)
	if !read(t, ctx, "where the focus is", chromedp.Evaluate[bool](focusInDialog)) {
		t.Error("the focus did not move into the dialog")
	}
	windowScreenshot(t, ctx, "ops-sync-dialog")
	// Tab goes through the form to its Synchronize button, never behind
	// the dialog.
	for i := 0; !read(t, ctx, "where the focus is", chromedp.Evaluate[bool](`document.activeElement.matches("#sync-dialog button[type=submit]")`)); i++ {
		if i == 40 || !read(t, ctx, "where the focus is", chromedp.Evaluate[bool](focusInDialog)) {
			at := read(t, ctx, "the focused element", chromedp.Evaluate[string](`document.activeElement.outerHTML.slice(0, 120)`))
			t.Fatalf("after %d presses of Tab the focus is on %s, not on the dialog's Synchronize button", i, at)
		}
		run(t, ctx, "press Tab", chromedp.KeyEvent(kb.Tab))
	}
	run(t, ctx, "close it with Escape",
		chromedp.KeyEvent(kb.Escape),
		chromedp.Poll[chromedp.Void](dialogClosed, chromedp.WithPollingMutation()),
	)

	run(t, ctx, "open the dialog and cancel",
		chromedp.Click(css(`a[data-sync-dialog]`)),
		chromedp.Poll[chromedp.Void](dialogOpen, chromedp.WithPollingMutation()),
		chromedp.Click(css(`#sync-dialog [data-close]`)),
		chromedp.Poll[chromedp.Void](dialogClosed, chromedp.WithPollingMutation()),
	)

	// A sync of nothing is refused, inside the dialog, which stays open.
	run(t, ctx, "select no resource and submit",
		chromedp.Click(css(`a[data-sync-dialog]`)),
		chromedp.Poll[chromedp.Void](dialogOpen, chromedp.WithPollingMutation()),
		chromedp.Evaluate[chromedp.Void](`Array.from(document.querySelectorAll("#sync-dialog .ops-select button")).find(b => b.textContent === "Select none").click()`),
		chromedp.Click(css(`#sync-dialog button[type=submit]`)),
		chromedp.WaitVisible(css(`#sync-dialog[open] .ops-error`)),
	)
	if msg := read(t, ctx, "the refusal", chromedp.Text(css(`#sync-dialog .ops-error`))); !strings.Contains(msg, "select at least one resource") {
		t.Errorf("a sync of no resource shows %q in the dialog", msg)
	}
	if !read(t, ctx, "where the focus is", chromedp.Evaluate[bool](`document.activeElement.matches("#sync-dialog .ops-error")`)) {
		t.Error("the focus is not on the dialog's error")
	}

	// A resource the Application does not have (deleted from the source
	// since the form was drawn) is refused by name, not left out.
	run(t, ctx, "select a resource that is not the application's and submit",
		chromedp.SetAttributeValue(css(dialogResource(name, "three")), "value", "/ConfigMap/dlg-pick/gone"),
		chromedp.Click(css(`#sync-dialog input[name=resource][value="/ConfigMap/dlg-pick/gone"]`)),
		chromedp.Click(css(dialogResource(name, "one"))),
		chromedp.Click(css(`#sync-dialog button[type=submit]`)),
		chromedp.Poll[chromedp.Void](`(document.querySelector("#sync-dialog[open] .ops-error") || {}).textContent.includes("gone")`, chromedp.WithPollingMutation()),
	)
	if msg := read(t, ctx, "the refusal", chromedp.Text(css(`#sync-dialog .ops-error`))); !strings.Contains(msg, "ConfigMap dlg-pick/gone is not a resource of this application") {
		t.Errorf("a sync of a resource the application does not have shows %q in the dialog", msg)
	}
	if app := opsApp(t, name); app.Operation != nil || app.Status.OperationState != nil {
		t.Fatalf("closing and refused dialogs started an operation: %+v", app.Status.OperationState)
	}

	// Two of the three resources, with prune.
	// The form came back with the choices made: "one" still ticked.
	run(t, ctx, "choose two resources and prune, and submit",
		chromedp.WaitVisible(css(dialogResource(name, "one")+`:checked`)),
		chromedp.Click(css(dialogResource(name, "two"))),
		chromedp.Click(css(`#sync-dialog input[name=prune]`)),
		chromedp.Click(css(`#sync-dialog button[type=submit]`)),
		chromedp.Poll[chromedp.Void](dialogClosed, chromedp.WithPollingMutation()),
	)
	if got := read(t, ctx, "the notice", chromedp.Text(css(`.app-done`))); got != "Sync requested." {
		t.Errorf("after the dialog closed the page says %q", got)
	}
	opsLive(t, ctx, "the operation to show as Succeeded, live", `window.sameDocument === true && document.querySelector("#app-operation").dataset.phase === "Succeeded"`)

	if v := read(t, ctx, "CSP violations", chromedp.Evaluate[[]string](`window.violations`)); len(v) > 0 {
		t.Errorf("the dialog broke the page's content security policy: %q", v)
	}

	op := opsApp(t, name).Status.OperationState.Operation.Sync
	var synced []string
	for _, r := range op.Resources {
		synced = append(synced, r.Name)
	}
	slices.Sort(synced)
	if !op.Prune || !slices.Equal(synced, []string{"one", "two"}) {
		t.Errorf("the dialog asked for a sync with prune %v of %v, want prune of one and two", op.Prune, synced)
	}
	for cm, want := range map[string]bool{"one": true, "two": true, "three": false} {
		if _, ok := opsValue(t, name, cm); ok != want {
			t.Errorf("after the sync ConfigMap %s exists: %v, want %v", cm, ok, want)
		}
	}

	run(t, ctx, "open the operation", chromedp.Navigate(opsPage(s, name, "operation")), chromedp.WaitVisible(css(`#ops-results`)))
	rows := read(t, ctx, "the results", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#ops-results tbody tr")).map(r => r.cells[2].textContent.trim() + " " + r.cells[3].textContent.trim())`))
	if !slices.Equal(rows, []string{"one Synced", "two Synced"}) {
		t.Errorf("the operation's results are %q, want one and two Synced", rows)
	}
}

// TestSyncDialogReadOnly: a read-only user has no Sync button; the dialog
// forced onto their page shows the API's refusal, and so does the form
// posted by hand.
func TestSyncDialogReadOnly(t *testing.T) {
	s := startCapstan(t)
	const name = "dlg-ro"
	dialogApp(t, name, "settings")
	addUser(t, "dlg-viewer", "viewer-pass-3", "g, NAME, role:readonly")
	ctx := browser(t)
	login(t, ctx, s, "dlg-viewer", "viewer-pass-3")

	page := fmt.Sprintf("/applications/%s/%s", controlPlane, name)
	run(t, ctx, "open the application's page", chromedp.Navigate(s.URL+page), chromedp.WaitVisible(css(`#app-header`)))
	if n := read(t, ctx, "Sync buttons", chromedp.Evaluate[int](`document.querySelectorAll("a[data-sync-dialog]").length`)); n != 0 {
		t.Errorf("a read-only user sees %d Sync buttons", n)
	}

	// The form posted as the dialog posts it: 403 and the API's message.
	post := fmt.Sprintf(`fetch(%q, {method: "POST", body: new URLSearchParams({csrf: document.querySelector("input[name=csrf]").value, resource: "/ConfigMap/%s/settings"})})
		.then(async r => r.status + " " + await r.text())`, page+"/sync?fragment=form", name)
	got := read(t, ctx, "a forced post", chromedp.Evaluate[string](post, chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(got, "403 ") || !strings.Contains(got, "permission denied") {
		t.Errorf("a forced post of the sync form answers %.200q, want 403 and permission denied", got)
	}

	// A Sync button forced onto the page opens the form, its submit
	// disabled; enabled and pressed, the refusal shows in the dialog.
	run(t, ctx, "force a Sync button and open the dialog",
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById("app-page").insertAdjacentHTML("afterbegin", '<a id="forced" href="%s/sync" data-sync-dialog>Sync</a>')`, page)),
		chromedp.Click(css(`#forced`)),
		chromedp.Poll[chromedp.Void](dialogOpen, chromedp.WithPollingMutation()),
		chromedp.WaitVisible(css(`#sync-dialog button[type=submit][disabled]`)),
		chromedp.RemoveAttribute(css(`#sync-dialog button[type=submit]`), "disabled"),
		chromedp.Click(css(`#sync-dialog button[type=submit]`)),
		chromedp.WaitVisible(css(`#sync-dialog[open] .ops-error`)),
	)
	if msg := read(t, ctx, "the refusal", chromedp.Text(css(`#sync-dialog .ops-error`))); !strings.Contains(msg, "permission denied") {
		t.Errorf("a forced sync in the dialog shows %q, want the API's permission denied", msg)
	}
	if app := opsApp(t, name); app.Operation != nil || app.Status.OperationState != nil {
		t.Errorf("a refused sync left an operation: %+v", app.Status.OperationState)
	}
}

// TestSyncDialogPhoneAndThemes: the dialog fits a 390px screen, and
// follows the browser's dark or light preference.
func TestSyncDialogPhoneAndThemes(t *testing.T) {
	s := startCapstan(t)
	const name = "dlg-phone-with-a-long-name"
	dialogApp(t, name, "a-config-map-with-a-rather-long-name-indeed")
	ctx := browser(t)
	login(t, ctx, s, "admin", s.Password)
	run(t, ctx, "a phone-wide screen", chromedp.EmulateViewport(390, 844))
	// luminance is the dialog's background luminance, 0 (black) to 1 (white).
	const luminance = `(() => {
		const [r, g, b] = getComputedStyle(document.getElementById("sync-dialog")).backgroundColor.match(/\d+/g).map(Number)
		return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255
	})()`
	for _, scheme := range []string{"light", "dark"} {
		media := emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, media); err != nil {
			t.Fatalf("emulate %s: %v", scheme, err)
		}
		run(t, ctx, "open the dialog",
			chromedp.Navigate(fmt.Sprintf("%s/applications/%s/%s", s.URL, controlPlane, name)),
			chromedp.WaitVisible(css(`a[data-sync-dialog]`)),
			chromedp.Click(css(`a[data-sync-dialog]`)),
			chromedp.Poll[chromedp.Void](dialogOpen, chromedp.WithPollingMutation()),
		)
		box := read(t, ctx, "the dialog's box", chromedp.Evaluate[[]float64](`(() => { const r = document.getElementById("sync-dialog").getBoundingClientRect(); return [r.left, r.right, document.documentElement.scrollWidth] })()`))
		if box[0] < 0 || box[1] > 390 || box[2] > 390 {
			t.Errorf("at 390px the dialog spans %.0f to %.0f px and the page is %.0f px wide", box[0], box[1], box[2])
		}
		l := read(t, ctx, "the dialog's luminance", chromedp.Evaluate[float64](luminance))
		if dark := l < 0.5; dark != (scheme == "dark") {
			t.Errorf("prefers %s: the dialog's background luminance is %.2f", scheme, l)
		}
		if scheme == "dark" {
			windowScreenshot(t, ctx, "ops-sync-dialog-phone")
		}
	}
}
