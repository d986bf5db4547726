package ui_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

var (
	opsKubeOnce   sync.Once
	opsKubeClient client.Client
)

// opsKube is one client of the control plane for all of these tests,
// which poll it often.
func opsKube(t *testing.T) client.Client {
	opsKubeOnce.Do(func() { opsKubeClient = kube(t) })
	return opsKubeClient
}

// opsWait polls check until it holds, for at most two minutes, and fails
// the test naming what it waited for.
func opsWait(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("waited two minutes for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// opsApp reads the Application name from the cluster.
func opsApp(t *testing.T, name string) *v1alpha1.Application {
	t.Helper()
	var app v1alpha1.Application
	if err := opsKube(t).Get(context.Background(), client.ObjectKey{Namespace: controlPlane, Name: name}, &app); err != nil {
		t.Fatalf("get Application %s: %v", name, err)
	}
	return &app
}

// opsValue is the value of the ConfigMap name in namespace ns, and
// whether it exists.
func opsValue(t *testing.T, ns, name string) (string, bool) {
	t.Helper()
	var cm corev1.ConfigMap
	err := opsKube(t).Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &cm)
	if apierrors.IsNotFound(err) {
		return "", false
	}
	if err != nil {
		t.Fatalf("get ConfigMap %s/%s: %v", ns, name, err)
	}
	return cm.Data["value"], true
}

// opsFinished waits until the Application's last operation has finished,
// and returns its phase.
func opsFinished(t *testing.T, name string) v1alpha1.OperationPhase {
	t.Helper()
	var phase v1alpha1.OperationPhase
	opsWait(t, "the operation of "+name+" to finish", func() bool {
		app := opsApp(t, name)
		st := app.Status.OperationState
		if app.Operation != nil || st == nil || !st.Phase.Completed() {
			return false
		}
		phase = st.Phase
		return true
	})
	return phase
}

// opsPage is the URL of an operation page of the Application name.
func opsPage(s *server, name, page string) string {
	return fmt.Sprintf("%s/applications/%s/%s/%s", s.URL, controlPlane, name, page)
}

// opsSubmit clicks the submit button selector, saying yes to its form's
// confirmation, and waits for the page that answers.
func opsSubmit(t *testing.T, ctx context.Context, what, selector string) {
	t.Helper()
	run(t, ctx, what+": accept confirmations", chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`))
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(css(selector))); err != nil {
		at, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("%s (at %s): %v", what, at, err)
	}
}

// opsSubmitOK submits like opsSubmit and fails the test when the answer
// shows an error.
func opsSubmitOK(t *testing.T, ctx context.Context, what, selector string) {
	t.Helper()
	opsSubmit(t, ctx, what, selector)
	msg := read(t, ctx, "errors", chromedp.Evaluate[string](`Array.from(document.querySelectorAll(".ops-error, main .error")).map(e => e.textContent).join("; ")`))
	if msg != "" {
		t.Fatalf("%s: the page shows %q", what, msg)
	}
}

// opsLive waits until the JavaScript expression holds on the page, which
// only a live update can make true when the page does not reload.
func opsLive(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	run(t, ctx, what, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(2*time.Minute)))
}

// TestOpsSyncHistoryRollback is the main flow of operations: sync a
// manual Application from the sync dialog and watch it turn Synced live,
// sync a second revision after a hard refresh, and roll back to the first
// from the history.
func TestOpsSyncHistoryRollback(t *testing.T) {
	s := startCapstan(t)
	const name = "ops-flow"
	_, repo := newApp(t, name, map[string]string{"cm.yaml": configMap("settings", "first")}, false)
	ctx := browser(t)
	login(t, ctx, s, "admin", s.Password)

	// The operation page, left open, turns Synced on its own once the
	// sync requested from another tab has run.
	live := newTab(t, ctx)
	run(t, live, "open the operation page",
		chromedp.Navigate(opsPage(s, name, "operation")),
		chromedp.WaitVisible(css(`#ops-sync`)),
	)
	opsLive(t, live, "the application to be OutOfSync", `document.querySelector("#ops-sync").textContent.includes("OutOfSync")`)

	run(t, ctx, "open the sync dialog",
		chromedp.Navigate(opsPage(s, name, "sync")),
		chromedp.WaitVisible(css(`input[name=resource][value="/ConfigMap/ops-flow/settings"]:checked`)),
	)
	screenshot(t, ctx, "ops-sync")
	opsSubmitOK(t, ctx, "sync with the defaults", `#ops-sync-form button[type=submit]`)
	if loc := read(t, ctx, "where", chromedp.Location()); !strings.HasSuffix(loc, "/applications/argocd/ops-flow?done=sync") {
		t.Errorf("after a sync the browser is at %s, want the application's page", loc)
	}
	opsLive(t, ctx, "the application's page to show it Synced", `document.querySelector("#app-sync") && document.querySelector("#app-sync").textContent.includes("Synced")`)
	opsLive(t, live, "the application to turn Synced live", `document.querySelector("#ops-sync").textContent.includes("Synced") && !document.querySelector("#ops-sync").textContent.includes("OutOfSync") && document.querySelector("#ops-phase") && document.querySelector("#ops-phase").textContent === "Succeeded"`)
	if v, _ := opsValue(t, name, "settings"); v != "first" {
		t.Fatalf("after the sync the ConfigMap holds %q, want first", v)
	}
	if got := read(t, live, "the results", chromedp.Text(css(`#ops-results tbody`))); !strings.Contains(got, "settings") || !strings.Contains(got, "Synced") {
		t.Errorf("the operation's results show %q, want the ConfigMap settings Synced", got)
	}
	screenshot(t, live, "ops-operation")

	// A second revision, seen at once through a hard refresh, then synced.
	second := repo.Commit(t, "main", map[string]string{"cm.yaml": configMap("settings", "second")}, "say second")
	run(t, ctx, "hard refresh",
		chromedp.Navigate(opsPage(s, name, "operation")),
		chromedp.WaitVisible(css(`.ops-refresh`)),
	)
	opsSubmitOK(t, ctx, "hard refresh", `.ops-refresh button[value=true]`)
	if got := read(t, ctx, "the flash", chromedp.Text(css(`.ops-done`))); !strings.Contains(got, "Refreshed") {
		t.Errorf("after a hard refresh the page says %q", got)
	}
	if rev := opsApp(t, name).Status.Sync.Revision; rev != second {
		t.Errorf("after a hard refresh the application compares revision %s, want %s", rev, second)
	}
	// Prune ticked: a request the same as the last one, finished, would
	// be taken by the controller for that one, already run.
	run(t, ctx, "open the sync dialog again",
		chromedp.Navigate(opsPage(s, name, "sync")),
		chromedp.WaitVisible(css(`#ops-sync-form`)),
		chromedp.Click(css(`input[name=prune]`)),
	)
	opsSubmitOK(t, ctx, "sync the second revision", `#ops-sync-form button[type=submit]`)
	if phase := opsFinished(t, name); phase != v1alpha1.OperationSucceeded {
		t.Fatalf("the second sync ended %s", phase)
	}
	if v, _ := opsValue(t, name, "settings"); v != "second" {
		st := opsApp(t, name).Status
		t.Fatalf("after the second sync the ConfigMap holds %q, want second (status %+v, operation %+v %+v)", v, st.Sync, st.OperationState, st.OperationState.SyncResult)
	}

	// Roll back to the first deployment, from the history.
	run(t, ctx, "open the history",
		chromedp.Navigate(opsPage(s, name, "history")),
		chromedp.WaitVisible(css(`#ops-deployment-0 .ops-rollback`)),
	)
	if got := read(t, ctx, "the history", chromedp.Text(css(`#ops-history tbody`))); !strings.Contains(got, "say second") || !strings.Contains(got, "add ops-flow") {
		t.Errorf("the history shows %q, want both commits' messages", got)
	}
	screenshot(t, ctx, "ops-history")
	opsSubmitOK(t, ctx, "roll back to the first deployment", `#ops-deployment-0 .ops-rollback`)
	opsWait(t, "the ConfigMap to hold the first value again", func() bool {
		v, _ := opsValue(t, name, "settings")
		return v == "first"
	})
}

// newTab opens another tab of ctx's browser, sharing its cookies.
func newTab(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return tab
}

// TestOpsReadOnly shows a read-only user no operation and refuses the
// sync they force.
func TestOpsReadOnly(t *testing.T) {
	s := startCapstan(t)
	const name = "ops-ro"
	newApp(t, name, map[string]string{"cm.yaml": configMap("settings", "ro")}, false)
	addUser(t, "ops-viewer", "viewer-pass-2", "g, NAME, role:readonly")
	ctx := browser(t)
	login(t, ctx, s, "ops-viewer", "viewer-pass-2")

	run(t, ctx, "open the history", chromedp.Navigate(opsPage(s, name, "history")), chromedp.WaitVisible(css(`#ops-history`)))
	tabs := read(t, ctx, "the operations", chromedp.Text(css(`.ops-tabs`)))
	if strings.Contains(tabs, "Sync") || strings.Contains(tabs, "Delete") {
		t.Errorf("a read-only user is offered %q", tabs)
	}
	if n := read(t, ctx, "rollback buttons", chromedp.Evaluate[int](`document.querySelectorAll(".ops-rollback").length`)); n != 0 {
		t.Errorf("a read-only user sees %d rollback buttons", n)
	}

	// The sync form is there to read, its button disabled; forced, the
	// API refuses it.
	run(t, ctx, "force the sync form",
		chromedp.Navigate(opsPage(s, name, "sync")),
		chromedp.WaitVisible(css(`#ops-sync-form button[type=submit][disabled]`)),
		chromedp.RemoveAttribute(css(`#ops-sync-form button[type=submit]`), "disabled"),
	)
	opsSubmit(t, ctx, "submit the forced sync", `#ops-sync-form button[type=submit]`)
	msg := read(t, ctx, "the refusal", chromedp.Text(css(`.ops-error`)))
	if !strings.Contains(msg, "permission denied") {
		t.Errorf("a forced sync by a read-only user shows %q, want the API's permission denied", msg)
	}
	if app := opsApp(t, name); app.Operation != nil || app.Status.OperationState != nil {
		t.Errorf("a refused sync left an operation: %+v %+v", app.Operation, app.Status.OperationState)
	}
}

// TestOpsDryRunAndSelected: a dry-run sync changes nothing; a sync of one
// selected resource applies that one only.
func TestOpsDryRunAndSelected(t *testing.T) {
	s := startCapstan(t)
	const name = "ops-pick"
	newApp(t, name, map[string]string{"a.yaml": configMap("chosen", "a"), "b.yaml": configMap("left", "b")}, false)
	ctx := browser(t)
	login(t, ctx, s, "admin", s.Password)

	run(t, ctx, "ask for a dry run",
		chromedp.Navigate(opsPage(s, name, "sync")),
		chromedp.WaitVisible(css(`input[name=resource][value="/ConfigMap/ops-pick/left"]`)),
		chromedp.Click(css(`input[name=dryRun]`)),
	)
	opsSubmitOK(t, ctx, "sync as a dry run", `#ops-sync-form button[type=submit]`)
	if phase := opsFinished(t, name); phase != v1alpha1.OperationSucceeded {
		t.Fatalf("the dry run ended %s", phase)
	}
	if !opsApp(t, name).Status.OperationState.Operation.Sync.DryRun {
		t.Error("the operation run was not a dry run")
	}
	run(t, ctx, "open the operation", chromedp.Navigate(opsPage(s, name, "operation")), chromedp.WaitVisible(css(`#ops-options`)))
	// The page redraws its live parts as the Application's events come
	// in: a read may catch the section being swapped, so read again.
	var options string
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(options, "dry run") && time.Now().Before(deadline); {
		attempt, cancel := context.WithTimeout(ctx, 5*time.Second)
		options, _ = chromedp.Run(attempt, chromedp.Text(css(`#ops-options`)))
		cancel()
		if !strings.Contains(options, "dry run") {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if !strings.Contains(options, "dry run") {
		t.Errorf("the operation page shows options %q, want a dry run", options)
	}
	for _, cm := range []string{"chosen", "left"} {
		if _, ok := opsValue(t, name, cm); ok {
			t.Errorf("a dry run created ConfigMap %s", cm)
		}
	}

	run(t, ctx, "select one resource",
		chromedp.Navigate(opsPage(s, name, "sync")),
		chromedp.WaitVisible(css(`input[name=resource][value="/ConfigMap/ops-pick/left"]:checked`)),
		chromedp.Click(css(`input[name=resource][value="/ConfigMap/ops-pick/left"]`)),
	)
	opsSubmitOK(t, ctx, "sync the selected resource", `#ops-sync-form button[type=submit]`)
	opsWait(t, "the selective sync to finish", func() bool {
		st := opsApp(t, name).Status.OperationState
		return st != nil && st.Phase.Completed() && !st.Operation.Sync.DryRun
	})
	if _, ok := opsValue(t, name, "chosen"); !ok {
		t.Error("the selected ConfigMap was not synced")
	}
	if _, ok := opsValue(t, name, "left"); ok {
		t.Error("the ConfigMap left out of the selection was synced")
	}
}

// TestOpsDelete deletes an Application with its resources, after its
// name is typed; the rollback of an automated Application is refused
// with the API's message first.
func TestOpsDelete(t *testing.T) {
	s := startCapstan(t)
	const name = "ops-del"
	newApp(t, name, map[string]string{"cm.yaml": configMap("settings", "gone")}, true)
	opsWait(t, "the automated sync", func() bool { _, ok := opsValue(t, name, "settings"); return ok })
	ctx := browser(t)
	login(t, ctx, s, "admin", s.Password)

	run(t, ctx, "open the history", chromedp.Navigate(opsPage(s, name, "history")), chromedp.WaitVisible(css(`.ops-rollback`)))
	opsSubmit(t, ctx, "roll back an automated application", `.ops-rollback`)
	if msg := read(t, ctx, "the refusal", chromedp.Text(css(`.ops-error`))); !strings.Contains(msg, "auto-sync") && !strings.Contains(msg, "automated") {
		t.Errorf("a rollback of an automated application shows %q, want the API's refusal", msg)
	}

	run(t, ctx, "type a wrong name",
		chromedp.Navigate(opsPage(s, name, "delete")),
		chromedp.WaitVisible(css(`input[name=confirm]`)),
		chromedp.SendKeys(css(`input[name=confirm]`), "ops-de"),
	)
	screenshot(t, ctx, "ops-delete")
	opsSubmit(t, ctx, "delete with a wrong name", `#ops-delete-form button[type=submit]`)
	if msg := read(t, ctx, "the refusal", chromedp.Text(css(`.ops-error`))); !strings.Contains(msg, "to confirm") {
		t.Errorf("a wrong name shows %q", msg)
	}
	if opsApp(t, name).DeletionTimestamp != nil {
		t.Fatal("a wrong name deleted the application")
	}
	run(t, ctx, "type the name", chromedp.SetValue(css(`input[name=confirm]`), name))
	opsSubmitOK(t, ctx, "delete", `#ops-delete-form button[type=submit]`)
	if loc := read(t, ctx, "where", chromedp.Location()); !strings.HasSuffix(loc, "/applications?done=deleted") {
		t.Errorf("after a delete the browser is at %s, want the list", loc)
	}
	opsWait(t, "the ConfigMap and the application to go", func() bool {
		_, ok := opsValue(t, name, "settings")
		err := opsKube(t).Get(context.Background(), client.ObjectKey{Namespace: controlPlane, Name: name}, &v1alpha1.Application{})
		return !ok && apierrors.IsNotFound(err)
	})
}

// TestOpsKustomizeImage writes a Kustomize image from the parameters page
// into the Application's spec.
func TestOpsKustomizeImage(t *testing.T) {
	s := startCapstan(t)
	const name = "ops-kust"
	newApp(t, name, map[string]string{
		"kustomization.yaml": "resources:\n- cm.yaml\n",
		"cm.yaml":            configMap("settings", "k"),
	}, false)
	opsWait(t, "the source to be seen as Kustomize", func() bool {
		return opsApp(t, name).Status.SourceType == v1alpha1.ApplicationSourceTypeKustomize
	})
	ctx := browser(t)
	login(t, ctx, s, "admin", s.Password)
	run(t, ctx, "edit the images",
		chromedp.Navigate(opsPage(s, name, "parameters")),
		chromedp.WaitVisible(css(`textarea[name=images]`)),
		chromedp.SendKeys(css(`textarea[name=images]`), "nginx=nginx:1.27"),
		chromedp.SendKeys(css(`input[name=namePrefix]`), "dev-"),
	)
	screenshot(t, ctx, "ops-parameters")
	opsSubmitOK(t, ctx, "save the parameters", `#ops-params-form button[type=submit]`)
	if got := read(t, ctx, "the flash", chromedp.Text(css(`.ops-done`))); !strings.Contains(got, "saved") {
		t.Errorf("after saving the page says %q", got)
	}
	k := opsApp(t, name).Spec.GetSource().Kustomize
	if k == nil || len(k.Images) != 1 || k.Images[0] != "nginx=nginx:1.27" || k.NamePrefix != "dev-" {
		t.Errorf("the spec's kustomize is %+v, want the image nginx=nginx:1.27 and prefix dev-", k)
	}
	if got := read(t, ctx, "the images", chromedp.Value(css(`textarea[name=images]`))); strings.TrimSpace(got) != "nginx=nginx:1.27" {
		t.Errorf("the page shows images %q after saving", got)
	}
}

// TestOpsPagesAtPhoneWidth opens each operation page on a 390px screen:
// none scrolls sideways (wide tables scroll within themselves).
func TestOpsPagesAtPhoneWidth(t *testing.T) {
	s := startCapstan(t)
	const name = "ops-phone-width-app"
	newApp(t, name, map[string]string{"cm.yaml": configMap("a-config-map-with-a-rather-long-name", "v")}, true)
	opsWait(t, "the automated sync", func() bool { return len(opsApp(t, name).Status.History) > 0 })
	ctx := browser(t)
	login(t, ctx, s, "admin", s.Password)
	run(t, ctx, "a phone-wide screen", chromedp.EmulateViewport(390, 844))
	for _, page := range []string{"sync", "operation", "history", "parameters", "delete"} {
		run(t, ctx, "open "+page, chromedp.Navigate(opsPage(s, name, page)), chromedp.WaitVisible(css(`.ops-tabs`)))
		if w := read(t, ctx, "the page's width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
			wide := read(t, ctx, "what is wide", chromedp.Evaluate[string](`Array.from(document.querySelectorAll("main *")).filter(e => e.getBoundingClientRect().right > 390).slice(0, 3).map(e => e.tagName + "." + e.className + ":" + getComputedStyle(e).overflowX + ":" + Math.round(e.getBoundingClientRect().right)).join(" ")`))
			t.Errorf("at 390px the %s page is %dpx wide: it scrolls sideways (%s)", page, w, wide)
		}
	}
}

// TestOpsHelmParameters writes Helm values and a parameter from the
// parameters page into the Application's spec, and the next render uses
// them.
func TestOpsHelmParameters(t *testing.T) {
	s := startCapstan(t)
	const name = "ops-helm"
	newApp(t, name, map[string]string{
		"Chart.yaml":            "apiVersion: v2\nname: ops-helm\nversion: 0.1.0\n",
		"values.yaml":           "greeting: hello\n",
		"templates/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  value: {{ .Values.greeting | quote }}\n  extra: {{ .Values.extra | default \"none\" | quote }}\n",
	}, true)
	opsWait(t, "the chart to be deployed", func() bool { v, _ := opsValue(t, name, "settings"); return v == "hello" })
	ctx := browser(t)
	login(t, ctx, s, "admin", s.Password)
	run(t, ctx, "edit the values and a parameter",
		chromedp.Navigate(opsPage(s, name, "parameters")),
		chromedp.WaitVisible(css(`textarea[name=values]`)),
		chromedp.SendKeys(css(`textarea[name=values]`), "extra: from-values\n"),
		chromedp.SendKeys(css(`input[name=name-0]`), "greeting"),
		chromedp.SendKeys(css(`input[name=value-0]`), "bonjour"),
	)
	opsSubmitOK(t, ctx, "save the parameters", `#ops-params-form button[type=submit]`)
	h := opsApp(t, name).Spec.GetSource().Helm
	if h == nil || len(h.Parameters) != 1 || h.Parameters[0].Name != "greeting" || h.Parameters[0].Value != "bonjour" || !strings.Contains(h.Values, "extra: from-values") {
		t.Fatalf("the spec's helm is %+v, want the parameter greeting=bonjour and the values", h)
	}
	opsWait(t, "the automated sync of the new parameters", func() bool { v, _ := opsValue(t, name, "settings"); return v == "bonjour" })
	if got := read(t, ctx, "the first parameter", chromedp.Value(css(`input[name=value-0]`))); got != "bonjour" {
		t.Errorf("the page shows the parameter's value %q after saving", got)
	}
}
