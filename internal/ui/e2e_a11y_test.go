package ui_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// TestKeyboard walks the Applications page with the Tab key: the skip
// link is the first stop, a focused element shows its outline, an
// Application's link is reachable and Enter opens it.
func TestKeyboard(t *testing.T) {
	s := startCapstan(t)
	newApp(t, "a11y-keys", map[string]string{"cm.yaml": configMap("a11y-keys", "1")}, false)
	ctx := browser(t)
	login(t, ctx, s, "admin", s.Password)
	run(t, ctx, "open the Applications page",
		chromedp.Navigate(s.URL+"/applications"),
		chromedp.WaitVisible(css(`a[href^="/applications/argocd/"]`)),
		chromedp.KeyEvent(kb.Tab),
	)
	first := read(t, ctx, "the first focus stop", chromedp.Evaluate[string](`document.activeElement.className + " " + document.activeElement.getAttribute("href")`))
	if first != "skip #main" {
		t.Errorf("first focus stop = %q, want the skip link (skip #main)", first)
	}
	outline := read(t, ctx, "the focused element's outline", chromedp.Evaluate[string](
		`(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle + " " + s.outlineWidth })()`))
	if outline == "" || outline[:4] == "none" || outline[len(outline)-3:] == "0px" {
		t.Errorf("focused skip link's outline = %q, want a visible outline", outline)
	}
	const isApp = `(document.activeElement.getAttribute("href") || "").startsWith("/applications/argocd/")`
	href := ""
	for i := 0; i < 100 && href == ""; i++ {
		run(t, ctx, "press Tab", chromedp.KeyEvent(kb.Tab))
		if read(t, ctx, "the focused element", chromedp.Evaluate[bool](isApp)) {
			href = read(t, ctx, "the focused link", chromedp.Evaluate[string](`document.activeElement.getAttribute("href")`))
		}
	}
	if href == "" {
		t.Fatal("100 presses of Tab never reached an Application's link")
	}
	outline = read(t, ctx, "the focused link's outline", chromedp.Evaluate[string](
		`(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle + " " + s.outlineWidth })()`))
	if outline == "" || outline[:4] == "none" || outline[len(outline)-3:] == "0px" {
		t.Errorf("focused Application link's outline = %q, want a visible outline", outline)
	}
	run(t, ctx, "open "+href+" with Enter",
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(css(`#app-page`)),
	)
	if at := read(t, ctx, "the page", chromedp.Location()); !strings.HasSuffix(at, href) {
		t.Errorf("Enter on %s opened %s", href, at)
	}
}

// TestThemes checks that the page follows the browser's colour scheme:
// a dark background when it prefers dark, a light one otherwise.
func TestThemes(t *testing.T) {
	s := startCapstan(t)
	ctx := browser(t)
	login(t, ctx, s, "admin", s.Password)
	// luminance is the body background's relative luminance, 0 (black) to 1 (white).
	const luminance = `(() => {
		const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\d+/g).map(Number)
		return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255
	})()`
	for _, tc := range []struct {
		scheme string
		dark   bool
	}{{"light", false}, {"dark", true}} {
		media := emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: tc.scheme}}}
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, media); err != nil {
			t.Fatalf("emulate %s: %v", tc.scheme, err)
		}
		run(t, ctx, "open the Applications page", chromedp.Navigate(s.URL+"/applications"), chromedp.WaitVisible(css(`main`)))
		l := read(t, ctx, "the background's luminance", chromedp.Evaluate[float64](luminance))
		if dark := l < 0.5; dark != tc.dark {
			t.Errorf("prefers %s: body background luminance %.2f, want dark=%v", tc.scheme, l, tc.dark)
		}
		screenshot(t, ctx, "theme-"+tc.scheme)
	}
}

// TestWithoutJavaScript reads, in a browser that runs no scripts, every
// page a reader needs: the Applications list as tiles and as a filtered
// table, an Application's header, tree, list and resource panel (live,
// desired, diff), its history, the settings pages and the user's info,
// and the list at a phone's width. The server renders their content; no
// tab, panel or view needs a script to open.
func TestWithoutJavaScript(t *testing.T) {
	s := startCapstan(t)
	const name = "a11y-nojs"
	nj := setUpNoJS(t, s, name)

	ctx := browser(t)
	// The control: with scripts on, capstan.js marks the page. Without
	// them, every page read below must lack the mark.
	control, cancelControl := context.WithTimeout(ctx, 30*time.Second)
	err := chromedp.Do(control, chromedp.Navigate(s.URL+"/login"), chromedp.WaitReady(css(`html.js`)))
	cancelControl()
	if err != nil {
		t.Fatalf("with scripts on, the login page never got capstan.js's mark (html.js): %v", err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("disable scripts: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()

	noJS(t, ctx, "open the login page", s.URL+"/login", `input[name=username]`)
	run(t, ctx, "sign in with the form",
		chromedp.SendKeys(css(`input[name=username]`), "admin"),
		chromedp.SendKeys(css(`input[name=password]`), s.Password),
		chromedp.Click(css(`form:has(input[name=password]) button[type=submit]`)),
	)
	noScripts(t, ctx, "signed in", `header.top .user`)
	t.Run("applications", func(t *testing.T) { readAppsNoJS(t, ctx, s, name) })
	t.Run("application", func(t *testing.T) { readAppNoJS(t, ctx, s, name, nj) })
	t.Run("settings", func(t *testing.T) { readSettingsNoJS(t, ctx, s, name, nj) })
	t.Run("phone", func(t *testing.T) { readPhoneNoJS(t, ctx, s, name) })
}

// noJSApp is what setUpNoJS made for the pages to show.
type noJSApp struct {
	synced, compared string // the revision synced, and the one compared
	messages         map[string]string
	repoURL          string
}

// setUpNoJS makes an Application that was synced once and is now out of
// sync with a new commit (so it has a history and a diff), a second one
// that is Synced (for a filter to leave out), a repository and a project.
func setUpNoJS(t *testing.T, s *server, name string) noJSApp {
	t.Helper()
	_, repo := newApp(t, name, map[string]string{"cm.yaml": configMap(name, "first-value")}, false)
	listedApp(t, name+"-other", "default", "Synced", "Healthy")
	token := apiLogin(t, s, "admin", s.Password)
	callAPI(t, s, token, http.MethodPost, "/api/v1/applications/"+name+"/sync", `{}`)
	var app *v1alpha1.Application
	waitApp(t, name, "synced", func(a *v1alpha1.Application) bool {
		app = a
		return a.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && a.Status.OperationState != nil && a.Status.OperationState.Phase == "Succeeded"
	})
	nj := noJSApp{synced: app.Status.Sync.Revision, repoURL: repo.URL()}
	second := repo.Commit(t, "main", map[string]string{"cm.yaml": configMap(name, "second-value")}, "change "+name+" to the second value")
	nj.messages = map[string]string{nj.synced: "add " + name, second: "change " + name + " to the second value"}
	callAPI(t, s, token, http.MethodGet, "/api/v1/applications/"+name+"?refresh=normal", "")
	waitApp(t, name, "out of sync", func(a *v1alpha1.Application) bool {
		app = a
		return a.Status.Sync.Status == v1alpha1.SyncStatusCodeOutOfSync
	})
	nj.compared = app.Status.Sync.Revision

	repoSecret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: controlPlane, Name: name + "-repo",
			Labels: map[string]string{"argocd.argoproj.io/secret-type": "repository"}},
		StringData: map[string]string{"type": "git", "name": name, "url": nj.repoURL},
	}
	project := &v1alpha1.AppProject{ObjectMeta: objectMeta(name), Spec: v1alpha1.AppProjectSpec{
		Description:  "read without scripts",
		SourceRepos:  []string{nj.repoURL},
		Destinations: []v1alpha1.ApplicationDestination{{Server: "https://kubernetes.default.svc", Namespace: name}},
		Roles:        []v1alpha1.ProjectRole{{Name: "reader", Policies: []string{"p, proj:" + name + ":reader, applications, get, " + name + "/*, allow"}}},
	}}
	cl := kube(t)
	for _, o := range []client.Object{repoSecret, project} {
		if err := cl.Create(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cl.Delete(context.Background(), o) })
	}
	return nj
}

// noJS opens url and reads it as noScripts does.
func noJS(t *testing.T, ctx context.Context, what, url, ready string) {
	t.Helper()
	run(t, ctx, what, chromedp.Navigate(url))
	noScripts(t, ctx, what, ready)
}

// noScripts waits for the element ready of the page the browser is on
// and fails the test if the page's scripts ran: the mark capstan.js sets
// is read from the DOM, not by running a script.
func noScripts(t *testing.T, ctx context.Context, what, ready string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitVisible(css(ready))); err != nil {
		shown, _ := chromedp.Run(ctx, chromedp.Text(css(`main`)))
		t.Fatalf("%s: no %s (%v); the page shows:\n%s", what, ready, err, shown)
	}
	class := read(t, ctx, "the page's class", chromedp.AttributeValue(css(`html`), "class"))
	if slices.Contains(strings.Fields(class.Value), "js") {
		t.Fatalf("%s: the page's scripts ran (html class %q): the test did not read it without JavaScript", what, class.Value)
	}
}

// shows fails the test unless the text of the element sel holds each of
// want.
func shows(t *testing.T, ctx context.Context, sel string, want ...string) {
	t.Helper()
	got := read(t, ctx, "the text of "+sel, chromedp.Text(css(sel)))
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not show %q:\n%s", sel, w, got)
		}
	}
}

// listed are the values of attr of the elements sel matches, none when
// nothing does.
func listed(t *testing.T, ctx context.Context, sel, attr string) []string {
	t.Helper()
	nodes := read(t, ctx, "the elements "+sel, chromedp.Nodes(chromedp.CSSAll(sel), chromedp.AtLeast(0)))
	var out []string
	for _, n := range nodes {
		out = append(out, n.AttributeValue(attr))
	}
	return out
}

// computed is the value of the CSS property prop of the element sel, as
// the browser computed it.
func computed(t *testing.T, ctx context.Context, sel, prop string) string {
	t.Helper()
	for _, p := range read(t, ctx, "the style of "+sel, chromedp.ComputedStyle(css(sel))) {
		if p.Name == prop {
			return p.Value
		}
	}
	t.Fatalf("%s has no computed %s", sel, prop)
	return ""
}

func readAppsNoJS(t *testing.T, ctx context.Context, s *server, name string) {
	noJS(t, ctx, "read the Applications as tiles", s.URL+"/applications?search="+name, `.app-tile[data-app="`+name+`"]`)
	if got := listed(t, ctx, `.apps-tiles .app-tile`, "data-app"); strings.Join(got, " ") != name+" "+name+"-other" {
		t.Errorf("the tiles show %v, want %s and %s-other", got, name, name)
	}
	shows(t, ctx, `.app-tile[data-app="`+name+`"]`, "OutOfSync", "Healthy", "default", name)

	noJS(t, ctx, "read the Applications as a table, out of sync only",
		s.URL+"/applications?view=table&sync=OutOfSync&search="+name, `table.apps-table tr[data-app="`+name+`"]`)
	if got := listed(t, ctx, `table.apps-table tbody tr`, "data-app"); strings.Join(got, " ") != name {
		t.Errorf("the table filtered on OutOfSync shows %v, want %s alone", got, name)
	}
	shows(t, ctx, `table.apps-table tr[data-app="`+name+`"]`, "OutOfSync", "Healthy", "default")
	if box := read(t, ctx, "the OutOfSync filter", chromedp.AttributeValue(css(`.apps-filters input[name=sync][value=OutOfSync]`), "checked")); !box.Exists {
		t.Error("the filter of the URL is not ticked in the filters' form")
	}
	if cur := read(t, ctx, "the current view", chromedp.Text(css(`.apps-views a[aria-current=page]`))); cur != "Table" {
		t.Errorf("the view marked current is %q, want Table", cur)
	}
}

func readAppNoJS(t *testing.T, ctx context.Context, s *server, name string, nj noJSApp) {
	cm := `[data-kind=ConfigMap][data-resource="/ConfigMap/` + name + `/` + name + `"]`
	noJS(t, ctx, "read the Application's tree", appURL(s, name, ""), `#app-resources .tree-node`+cm)
	shows(t, ctx, `#app-sync`, "OutOfSync")
	shows(t, ctx, `#app-health`, "Healthy")
	if rev := read(t, ctx, "the revision", chromedp.AttributeValue(css(`#app-sync-revision`), "title")); rev.Value != nj.compared {
		t.Errorf("the header's revision is %q, want %q", rev.Value, nj.compared)
	}
	shows(t, ctx, `#app-header .app-commit-message`, nj.messages[nj.compared])
	if view := read(t, ctx, "the view", chromedp.AttributeValue(css(`#app-resources`), "data-view")); view.Value != "tree" {
		t.Errorf("the resources are shown as %q, want tree", view.Value)
	}
	shows(t, ctx, `#app-resources .tree-app`, name)

	// A node of the tree is a link: following it opens the resource's
	// panel with no script to catch the click.
	run(t, ctx, "open the ConfigMap from the tree", chromedp.Click(css(`#app-resources a.tree-node`+cm)))
	noScripts(t, ctx, "read the live manifest", `#resource[data-tab=live] .app-manifest`)
	live := read(t, ctx, "the live manifest", chromedp.Text(css(`#resource .app-manifest`)))
	if !strings.Contains(live, "first-value") || strings.Contains(live, "second-value") {
		t.Errorf("the live manifest does not hold the synced value alone:\n%s", live)
	}

	noJS(t, ctx, "read the list view", appURL(s, name, "view=list"), `table.app-list tr[data-resource="/ConfigMap/`+name+`/`+name+`"]`)
	shows(t, ctx, `table.app-list tr[data-resource="/ConfigMap/`+name+`/`+name+`"]`, "ConfigMap", name, "OutOfSync")

	res := "resource=/ConfigMap/" + name + "/" + name
	noJS(t, ctx, "read the desired manifest", appURL(s, name, res+"&tab=desired"), `#resource[data-tab=desired] .app-manifest`)
	if desired := read(t, ctx, "the desired manifest", chromedp.Text(css(`#resource .app-manifest`))); !strings.Contains(desired, "second-value") {
		t.Errorf("the desired manifest does not hold the new value:\n%s", desired)
	}
	noJS(t, ctx, "read the diff", appURL(s, name, res+"&tab=diff"), `#resource table.diff-unified`)
	shows(t, ctx, `#resource .diff-op-del`, "first-value")
	shows(t, ctx, `#resource .diff-op-add`, "second-value")
	noJS(t, ctx, "read the diff side by side", appURL(s, name, res+"&tab=diff&layout=split"), `#resource table.diff-split`)
	shows(t, ctx, `#resource .diff-replace td.old`, "first-value")
	shows(t, ctx, `#resource .diff-replace td.new`, "second-value")

	noJS(t, ctx, "read the events", appURL(s, name, res+"&tab=events"), `#resource[data-tab=events]`)
	shows(t, ctx, `#resource`, "No events for this resource.")

	noJS(t, ctx, "read the history", appURL(s, name, "")+"/history", `#ops-history table`)
	shows(t, ctx, `#ops-history tbody tr`, nj.synced[:7], nj.messages[nj.synced], "admin")
	noJS(t, ctx, "read the last operation", appURL(s, name, "")+"/operation", `#ops-operation`)
	shows(t, ctx, `#ops-phase`, "Succeeded")
	shows(t, ctx, `#ops-revision`, nj.synced)

	// The header's Sync opens a dialog with scripts; without them it is a
	// link to the sync page and its form.
	noJS(t, ctx, "open the Application again", appURL(s, name, ""), `#app-header a[data-sync-dialog]`)
	run(t, ctx, "follow Sync", chromedp.Click(css(`#app-header a[data-sync-dialog]`)))
	noScripts(t, ctx, "read the sync page", `#ops-sync-form`)
	if at := read(t, ctx, "the page", chromedp.Location()); !strings.HasSuffix(at, "/"+name+"/sync") {
		t.Errorf("Sync without scripts led to %s, want the sync page", at)
	}
}

func readSettingsNoJS(t *testing.T, ctx context.Context, s *server, name string, nj noJSApp) {
	noJS(t, ctx, "read the settings", s.URL+"/settings", `.settings-index`)
	if got := listed(t, ctx, `.settings-index a`, "href"); !slices.Contains(got, "/settings/repos") || !slices.Contains(got, "/settings/projects") {
		t.Errorf("the settings link to %v", got)
	}
	noJS(t, ctx, "read the repositories", s.URL+"/settings/repos", `#repos`)
	shows(t, ctx, `#repos tbody`, nj.repoURL, "git")
	noJS(t, ctx, "read the clusters", s.URL+"/settings/clusters", `#clusters`)
	shows(t, ctx, `#clusters tbody`, "https://kubernetes.default.svc")
	run(t, ctx, "open the cluster", chromedp.Click(css(`#clusters tbody a`)))
	noScripts(t, ctx, "read the cluster", `#cluster-fields`)
	shows(t, ctx, `#cluster-fields`, "https://kubernetes.default.svc")
	noJS(t, ctx, "read the projects", s.URL+"/settings/projects", `a[href="/settings/projects/`+name+`"]`)
	noJS(t, ctx, "read a project", s.URL+"/settings/projects/"+name, `#summary`)
	shows(t, ctx, `#summary`, "read without scripts")
	shows(t, ctx, `#source-repos`, nj.repoURL)
	shows(t, ctx, `#destinations`, "https://kubernetes.default.svc", name)
	shows(t, ctx, `#role-reader`, "proj:"+name+":reader")

	// A new token is shown once: it must be readable without scripts, and
	// the Copy button, which only a script makes work, is not offered.
	run(t, ctx, "create a token of the role",
		chromedp.Click(css(`#role-reader form[action$="/roles/token"] button[type=submit]`)),
	)
	noScripts(t, ctx, "read the new token", `#new-token`)
	if token := read(t, ctx, "the token", chromedp.Value(css(`#token-value`))); strings.Count(token, ".") != 2 {
		t.Errorf("the new token reads %q, want a JWT", token)
	}
	if display := computed(t, ctx, `#new-token [data-copy]`, "display"); display != "none" {
		t.Errorf("without scripts the token's Copy button is shown (display %q), and it does nothing", display)
	}
	noJS(t, ctx, "read the accounts", s.URL+"/settings/accounts", `#accounts`)
	shows(t, ctx, `#accounts tbody`, "admin", "login")
	noJS(t, ctx, "read an account", s.URL+"/settings/accounts/admin", `#tokens`)
	shows(t, ctx, `main h1`, "Account admin")
	noJS(t, ctx, "read the user's info", s.URL+"/user-info", `#user-fields`)
	if who := read(t, ctx, "the user", chromedp.Text(css(`#username`))); who != "admin" {
		t.Errorf("user info names %q, want admin", who)
	}
	shows(t, ctx, `#can tr[data-resource=applications]`, "yes")
}

// readPhoneNoJS reads the list at a phone's width: the page is no wider
// than the screen, and the results start on the first screen. The sizes
// come from the browser's layout, not from a script.
func readPhoneNoJS(t *testing.T, ctx context.Context, s *server, name string) {
	run(t, ctx, "take a phone's width", chromedp.EmulateViewport(390, 844))
	for _, p := range []struct{ what, url, ready, shot string }{
		{"tiles", s.URL + "/applications", `.app-tile[data-app="` + name + `"]`, "nojs-apps-phone"},
		{"the filtered table", s.URL + "/applications?view=table&sync=OutOfSync&search=" + name, `table.apps-table tr[data-app="` + name + `"]`, ""},
	} {
		noJS(t, ctx, "read "+p.what+" at 390px", p.url, p.ready)
		m, err := chromedp.Call(ctx, page.GetLayoutMetrics, cdp.Empty{})
		if err != nil {
			t.Fatalf("the layout of %s: %v", p.what, err)
		}
		if wide, screen := m.CSSContentSize.Width, m.CSSLayoutViewport.ClientWidth; wide > float64(screen) {
			t.Errorf("at 390px %s are %.0fpx wide, more than the %dpx screen: the page scrolls sideways", p.what, wide, screen)
		}
		// Without the script that folds the filters on a phone, the
		// results must still start on the first screen.
		box := read(t, ctx, "where the first result is", chromedp.Dimensions(css(p.ready)))
		if top := box.Content[1]; top >= 844 {
			t.Errorf("at 390×844 the first of %s starts %.0fpx down, below the first screen", p.what, top)
		}
		if p.shot != "" {
			screenshot(t, ctx, p.shot)
		}
	}
}
