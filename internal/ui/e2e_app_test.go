package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// deployment is a manifest of a one-replica Deployment running image.
func deployment(name, image string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  replicas: 1
  selector:
    matchLabels:
      app: %[1]s
  template:
    metadata:
      labels:
        app: %[1]s
    spec:
      containers:
      - name: main
        image: %[2]s
`, name, image)
}

// secret is a manifest of a Secret holding value under "password".
func secret(name, value string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\nstringData:\n  password: %q\n", name, value)
}

// waitApp polls the Application until ok says yes, for at most two
// minutes.
func waitApp(t *testing.T, name, what string, ok func(*v1alpha1.Application) bool) {
	t.Helper()
	cl := kube(t)
	var app v1alpha1.Application
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if err := cl.Get(context.Background(), client.ObjectKey{Namespace: controlPlane, Name: name}, &app); err == nil && ok(&app) {
			return
		}
	}
	t.Fatalf("application %s is not %s: status %+v", name, what, app.Status)
}

func syncedAndHealthy(app *v1alpha1.Application) bool {
	return app.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && app.Status.Health.Status == "Healthy"
}

// appURL is the page of the Application name.
func appURL(s *server, name, query string) string {
	u := s.URL + "/applications/" + controlPlane + "/" + name
	if query != "" {
		u += "?" + query
	}
	return u
}

// TestApplicationPage opens an automated app with a Deployment, a
// ConfigMap and a Secret: the header tells its commit and author, the
// tree draws Deployment → ReplicaSet → Pod with their health, the list
// shows the same objects, the Secret's manifest shows no value, and the
// Deployment's events are listed; the page also renders at phone width.
func TestApplicationPage(t *testing.T) {
	s := startCapstan(t)
	const name, password = "uiapp-tree", "hunter2-uiapp"
	newApp(t, name, map[string]string{
		"deploy.yaml": deployment("web", "registry.invalid/web:1"),
		"cm.yaml":     configMap("settings", "one"),
		"secret.yaml": secret("creds", password),
	}, true)
	waitApp(t, name, "synced and healthy", syncedAndHealthy)
	waitEvent(t, name, "Deployment", "web")

	ctx := browser(t)
	login(t, ctx, s, "admin", s.Password)
	run(t, ctx, "open the application",
		chromedp.Navigate(appURL(s, name, "")),
		chromedp.WaitVisible(css(`#app-resources .tree-node[data-kind=Pod]`)),
	)
	screenshot(t, ctx, "app-tree")

	header := read(t, ctx, "the header", chromedp.Text(css(`#app-header`)))
	for _, want := range []string{"add " + name, "capstan test", "Synced", "Healthy", "file://"} {
		if !strings.Contains(header, want) {
			t.Errorf("the header does not show %q:\n%s", want, header)
		}
	}
	chain := read(t, ctx, "the tree's chain", chromedp.Evaluate[bool](`(() => {
		const pod = document.querySelector('#app-resources li:has(> a[data-kind=Deployment]) li:has(> a[data-kind=ReplicaSet]) a[data-kind=Pod]');
		return !!pod && !!pod.querySelector('.health-healthy');
	})()`))
	if !chain {
		t.Error("the tree does not draw a healthy Pod under a ReplicaSet under the Deployment")
	}
	for _, kind := range []string{"ConfigMap", "Secret", "Deployment"} {
		synced := read(t, ctx, "the sync badge of "+kind, chromedp.Evaluate[bool](fmt.Sprintf(
			`!!document.querySelector('#app-resources a[data-kind=%s] .sync-synced')`, kind)))
		if !synced {
			t.Errorf("the %s's node has no Synced badge", kind)
		}
	}

	run(t, ctx, "switch to the list",
		chromedp.Click(css(`.app-views a[href*="view=list"]`)),
		chromedp.WaitVisible(css(`table.app-list`)),
	)
	rows := read(t, ctx, "the list", chromedp.Text(css(`table.app-list tbody`)))
	for _, want := range []string{"Deployment", "ReplicaSet", "Pod", "ConfigMap", "Secret", "creds", "settings", name} {
		if !strings.Contains(rows, want) {
			t.Errorf("the list does not show %q:\n%s", want, rows)
		}
	}
	screenshot(t, ctx, "app-list")

	run(t, ctx, "open the Secret's live manifest",
		chromedp.Click(css(`table.app-list tr[data-resource="/Secret/`+name+`/creds"] a`)),
		chromedp.WaitVisible(css(`#resource[data-tab=live] .app-manifest`)),
	)
	manifest := read(t, ctx, "the Secret's manifest", chromedp.Text(css(`#resource .app-manifest`)))
	if strings.Contains(manifest, password) || strings.Contains(manifest, "aHVudGVyMi11aWFwcA") || !strings.Contains(manifest, "++++") {
		t.Errorf("the Secret's live manifest is not masked:\n%s", manifest)
	}

	run(t, ctx, "open the Deployment's events",
		chromedp.Navigate(appURL(s, name, "resource=apps/Deployment/"+name+"/web&tab=events")),
		chromedp.WaitVisible(css(`#resource[data-tab=events]`)),
	)
	events := read(t, ctx, "the events", chromedp.Text(css(`#resource`)))
	if !strings.Contains(events, "ScalingReplicaSet") {
		t.Errorf("the Deployment's events do not show ScalingReplicaSet:\n%s", events)
	}

	run(t, ctx, "open the page at phone width",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(appURL(s, name, "")),
		chromedp.WaitVisible(css(`#app-resources .tree-node[data-kind=Pod]`)),
	)
	if overflow := read(t, ctx, "the page's width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); overflow > 390 {
		t.Errorf("at 390px the page is %dpx wide: it scrolls sideways", overflow)
	}
	screenshot(t, ctx, "app-phone")
}

// callAPI sends method path with body as the holder of token, and fails
// the test unless the API answers 2xx. Tests use it to act behind the
// page's back, as another client would.
func callAPI(t *testing.T, s *server, token, method, path, body string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s answered %s", method, path, resp.Status)
	}
}

// waitEvent waits until the Deployment kind/name of the app's namespace
// has an event, so that the events tab has one to show.
func waitEvent(t *testing.T, ns, kind, name string) {
	t.Helper()
	cl := kube(t)
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var list corev1.EventList
		if err := cl.List(context.Background(), &list, client.InNamespace(ns)); err == nil {
			for _, e := range list.Items {
				if e.InvolvedObject.Kind == kind && e.InvolvedObject.Name == name {
					return
				}
			}
		}
	}
	t.Fatalf("no event about %s %s/%s", kind, ns, name)
}

// TestApplicationDiff changes a manual app's Deployment and Secret in Git
// after a sync: the Deployment's diff shows the changed image line,
// unified and side by side, and the Secret's diff shows no value.
func TestApplicationDiff(t *testing.T) {
	s := startCapstan(t)
	const name = "uiapp-diff"
	_, repo := newApp(t, name, map[string]string{
		"deploy.yaml": deployment("web", "registry.invalid/web:1"),
		"secret.yaml": secret("creds", "old-secret-value"),
	}, false)
	token := apiLogin(t, s, "admin", s.Password)
	callAPI(t, s, token, http.MethodPost, "/api/v1/applications/"+name+"/sync", `{}`)
	waitApp(t, name, "synced", func(app *v1alpha1.Application) bool {
		return app.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && app.Status.OperationState != nil && app.Status.OperationState.Phase == "Succeeded"
	})
	repo.Commit(t, "main", map[string]string{
		"deploy.yaml": deployment("web", "registry.invalid/web:2"),
		"secret.yaml": secret("creds", "new-secret-value"),
	}, "bump web to 2")
	callAPI(t, s, token, http.MethodGet, "/api/v1/applications/"+name+"?refresh=normal", "")
	waitApp(t, name, "out of sync", func(app *v1alpha1.Application) bool {
		return app.Status.Sync.Status == v1alpha1.SyncStatusCodeOutOfSync
	})

	ctx := browser(t)
	login(t, ctx, s, "admin", s.Password)
	run(t, ctx, "open the Deployment's diff",
		chromedp.Navigate(appURL(s, name, "resource=apps/Deployment/"+name+"/web&tab=diff")),
		chromedp.WaitVisible(css(`#resource table.diff-unified`)),
	)
	removed := read(t, ctx, "the removed lines", chromedp.Text(css(`#resource .diff-op-del`)))
	added := read(t, ctx, "the added lines", chromedp.Text(css(`#resource .diff-op-add`)))
	if !strings.Contains(removed, "image: registry.invalid/web:1") || !strings.Contains(added, "image: registry.invalid/web:2") {
		t.Errorf("the unified diff shows - %q + %q, want the image going from web:1 to web:2", removed, added)
	}
	screenshot(t, ctx, "app-diff")

	run(t, ctx, "show it side by side",
		chromedp.Click(css(`.app-layouts a[href*="layout=split"]`)),
		chromedp.WaitVisible(css(`#resource table.diff-split`)),
	)
	left := read(t, ctx, "the live side", chromedp.Text(css(`#resource .diff-replace td.old`)))
	right := read(t, ctx, "the desired side", chromedp.Text(css(`#resource .diff-replace td.new`)))
	if !strings.Contains(left, "web:1") || !strings.Contains(right, "web:2") {
		t.Errorf("side by side shows %q | %q, want web:1 | web:2", left, right)
	}
	screenshot(t, ctx, "app-diff-split")

	run(t, ctx, "open the Secret's diff",
		chromedp.Navigate(appURL(s, name, "resource=/Secret/"+name+"/creds&tab=diff")),
		chromedp.WaitVisible(css(`#resource[data-tab=diff]`)),
	)
	diff := read(t, ctx, "the Secret's diff", chromedp.Text(css(`#resource`)))
	for _, value := range []string{"old-secret-value", "new-secret-value", "b2xkLXNlY3JldC12YWx1ZQ", "bmV3LXNlY3JldC12YWx1ZQ"} {
		if strings.Contains(diff, value) {
			t.Errorf("the Secret's diff shows %q:\n%s", value, diff)
		}
	}
	if !strings.Contains(diff, "++++") {
		t.Errorf("the Secret's diff shows no masked value:\n%s", diff)
	}
}

// TestApplicationTurnsSyncedLive commits a change to an automated app
// while its page is open: the header shows the new revision Synced
// without a reload.
func TestApplicationTurnsSyncedLive(t *testing.T) {
	s := startCapstan(t)
	const name = "uiapp-live"
	_, repo := newApp(t, name, map[string]string{"cm.yaml": configMap("live", "one")}, true)
	waitApp(t, name, "synced and healthy", syncedAndHealthy)

	ctx := browser(t)
	login(t, ctx, s, "admin", s.Password)
	run(t, ctx, "open the application",
		chromedp.Navigate(appURL(s, name, "")),
		chromedp.WaitVisible(css(`#app-sync .sync-synced`)),
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`),
	)
	sha := repo.Commit(t, "main", map[string]string{"cm.yaml": configMap("live", "two")}, "change live to two")
	// As a push webhook would; the page is not involved.
	callAPI(t, s, apiLogin(t, s, "admin", s.Password), http.MethodGet, "/api/v1/applications/"+name+"?refresh=normal", "")
	read(t, ctx, "wait for the new revision, synced",
		chromedp.Poll[bool](fmt.Sprintf(`window.notReloaded === true &&
			document.querySelector('#app-sync-revision')?.title === %q &&
			!!document.querySelector('#app-sync .sync-synced') &&
			document.querySelector('#app-operation')?.dataset.phase === 'Succeeded' &&
			document.querySelector('#app-header .app-commit-message')?.textContent === 'change live to two'`, sha), chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(2*time.Minute)),
	)
}

// TestApplicationPageHidesDeniedActions shows a read-only user the page
// without the operations RBAC denies them: no Sync, Delete or Parameters,
// but Refresh (a get) and History.
func TestApplicationPageHidesDeniedActions(t *testing.T) {
	s := startCapstan(t)
	const name = "uiapp-readonly"
	newApp(t, name, map[string]string{"cm.yaml": configMap("ro", "one")}, true)
	addUser(t, "uiapp-viewer", "uiapp-viewer-pass", "g, NAME, role:readonly")
	ctx := browser(t)
	login(t, ctx, s, "uiapp-viewer", "uiapp-viewer-pass")
	run(t, ctx, "open the application",
		chromedp.Navigate(appURL(s, name, "")),
		chromedp.WaitVisible(css(`#app-header .app-toolbar`)),
	)
	shown := read(t, ctx, "the toolbar", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#app-header .app-toolbar a, #app-header .app-toolbar button')].map(e => e.textContent.trim())`))
	want := []string{"Refresh", "Hard refresh", "History and rollback"}
	if strings.Join(shown, ",") != strings.Join(want, ",") {
		t.Errorf("a read-only user's toolbar shows %q, want %q", shown, want)
	}
}

// TestApplicationShowsConditions shows the error condition of an app
// whose manifest does not parse, naming the file, in the header.
func TestApplicationShowsConditions(t *testing.T) {
	s := startCapstan(t)
	const name = "uiapp-broken"
	newApp(t, name, map[string]string{"broken.yaml": "kind: ConfigMap\nmetadata: [\n"}, false)
	waitApp(t, name, "in error", func(app *v1alpha1.Application) bool { return len(app.Status.Conditions) > 0 })
	ctx := browser(t)
	login(t, ctx, s, "admin", s.Password)
	run(t, ctx, "open the application",
		chromedp.Navigate(appURL(s, name, "")),
		chromedp.WaitVisible(css(`#app-conditions li.error`)),
	)
	cond := read(t, ctx, "the conditions", chromedp.Text(css(`#app-conditions li.error`)))
	if !strings.Contains(cond, "Error") || !strings.Contains(cond, "broken.yaml") {
		t.Errorf("the header's condition says %q, want an error naming broken.yaml", cond)
	}
}
