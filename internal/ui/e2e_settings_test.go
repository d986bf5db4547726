package ui_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// TestSettingsAddRepository adds a repository of a Git server that wants
// a password: a wrong one is refused with the server's reason, the right
// one is saved and listed as Successful, and the password is never drawn
// back into a page.
func TestSettingsAddRepository(t *testing.T) {
	s := startCapstan(t)
	const password = "uiset-git-pass-7"
	srv := gitserver.NewHTTP(t, gitserver.WithBasicAuth("uiset", password))
	repo := srv.NewRepo(t, "uiset-settings")
	repo.Commit(t, "main", map[string]string{"cm.yaml": configMap("uiset", "1")}, "first")
	repoURL := srv.RepoURL("uiset-settings")

	ctx := settingsBrowser(t)
	login(t, ctx, s, "admin", s.Password)
	fill := func(pass string) {
		run(t, ctx, "fill the repository form",
			chromedp.Navigate(s.URL+"/settings/repos/new"),
			chromedp.WaitVisible(css(`#repo-form`)),
			chromedp.SendKeys(css(`#repo-form input[name=url]`), repoURL),
			chromedp.SendKeys(css(`#repo-form input[name=username]`), "uiset"),
			chromedp.SendKeys(css(`#repo-form input[name=password]`), pass),
		)
	}
	fill("wrong-pass")
	run(t, ctx, "connect with a wrong password",
		chromedp.Click(css(`#repo-form button[type=submit]`)),
		chromedp.WaitVisible(css(`#repo-error`)),
	)
	msg := read(t, ctx, "the error", chromedp.Text(css(`#repo-error`)))
	if !strings.Contains(msg, "Failed") || !strings.Contains(msg, "unable to create repository") {
		t.Errorf("a wrong password shows %q, want Failed and the API's reason", msg)
	}
	if html := read(t, ctx, "the form", chromedp.OuterHTML(css(`#repo-form`))); strings.Contains(html, "wrong-pass") {
		t.Error("the form drew the password back")
	}
	if v := read(t, ctx, "the URL field", chromedp.Value(css(`#repo-form input[name=url]`))); v != repoURL {
		t.Errorf("the form kept the URL %q, want %q", v, repoURL)
	}

	fill(password)
	run(t, ctx, "connect with the right password",
		chromedp.Click(css(`#repo-form button[type=submit]`)),
		chromedp.WaitVisible(css(`#repos`)),
	)
	row := read(t, ctx, "the repository's row", chromedp.Text(css(`#repos tbody tr`)))
	if !strings.Contains(row, repoURL) || !strings.Contains(row, "Successful") || !strings.Contains(row, "uiset") {
		t.Errorf("the repository is listed as %q, want its URL, user and Successful", row)
	}
	if html := read(t, ctx, "the page", chromedp.OuterHTML(css(`html`))); strings.Contains(html, password) {
		t.Error("the repositories page shows the password")
	}
	var secrets corev1.SecretList
	if err := kube(t).List(context.Background(), &secrets, client.InNamespace(controlPlane), client.MatchingLabels{"argocd.argoproj.io/secret-type": "repository"}); err != nil {
		t.Fatal(err)
	}
	saved := slices.IndexFunc(secrets.Items, func(s corev1.Secret) bool {
		return string(s.Data["url"]) == repoURL && string(s.Data["password"]) == password
	})
	if saved < 0 {
		t.Fatalf("no repository Secret of %s with its password", repoURL)
	}
	t.Cleanup(func() { _ = kube(t).Delete(context.Background(), &secrets.Items[saved]) })
	screenshot(t, ctx, "settings-repos")
	run(t, ctx, "a phone-wide screen", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(css(`#repos`)))
	if wide := read(t, ctx, "measure", chromedp.Evaluate[string](overflowing)); wide != "" {
		t.Errorf("the repositories page is wider than a 390px screen: %s", wide)
	}
}

// TestSettingsEditProject creates a project, gives it a destination, a
// source and a sync window through its forms, and finds them in the
// AppProject; a change made meanwhile by someone else is a conflict.
func TestSettingsEditProject(t *testing.T) {
	s := startCapstan(t)
	const name = "uiset-edit"
	t.Cleanup(func() {
		_ = kube(t).Delete(context.Background(), &v1alpha1.AppProject{ObjectMeta: objectMeta(name)})
	})
	ctx := settingsBrowser(t)
	login(t, ctx, s, "admin", s.Password)
	run(t, ctx, "create the project",
		chromedp.Navigate(s.URL+"/settings/projects"),
		chromedp.SendKeys(css(`#new-project input[name=name]`), name),
		chromedp.SendKeys(css(`#new-project input[name=description]`), "made in the UI"),
		chromedp.Click(css(`#new-project button[type=submit]`)),
		waitDone("project-created"),
	)
	run(t, ctx, "add a destination and a source",
		chromedp.Click(css(`#edit-project`)),
		chromedp.WaitVisible(css(`#project-form`)),
		chromedp.SendKeys(css(`#project-form textarea[name=sourceRepos]`), "https://git.example/team/*"),
		chromedp.SendKeys(css(`#destinations-form tbody tr:first-child input[name=destServer]`), "https://kubernetes.default.svc"),
		chromedp.SendKeys(css(`#destinations-form tbody tr:first-child input[name=destNamespace]`), "team-*"),
		chromedp.SendKeys(css(`#project-form textarea[name=clusterAllow]`), "Namespace"),
		chromedp.Click(css(`#project-form button[type=submit]`)),
		waitDone("project-saved"),
	)
	if got := read(t, ctx, "the destinations", chromedp.Text(css(`#destinations`))); !strings.Contains(got, "team-*") {
		t.Errorf("the project page shows destinations %q", got)
	}
	run(t, ctx, "add a sync window",
		chromedp.Click(css(`#new-window summary`)),
		chromedp.SetValue(css(`#new-window select[name=kind]`), "deny"),
		chromedp.SendKeys(css(`#new-window input[name=schedule]`), "0 22 * * *"),
		chromedp.SendKeys(css(`#new-window input[name=duration]`), "1h"),
		chromedp.SendKeys(css(`#new-window input[name=applications]`), "web, api"),
		chromedp.Click(css(`#new-window input[name=manualSync]`)),
		chromedp.Click(css(`#new-window button[type=submit]`)),
		waitDone("window-added"),
	)
	var p v1alpha1.AppProject
	if err := kube(t).Get(context.Background(), client.ObjectKey{Namespace: controlPlane, Name: name}, &p); err != nil {
		t.Fatal(err)
	}
	want := v1alpha1.AppProjectSpec{
		Description:              "made in the UI",
		SourceRepos:              []string{"https://git.example/team/*"},
		Destinations:             []v1alpha1.ApplicationDestination{{Server: "https://kubernetes.default.svc", Namespace: "team-*"}},
		ClusterResourceWhitelist: []v1alpha1.ClusterResourceRestrictionItem{{Kind: "Namespace"}},
		SyncWindows:              v1alpha1.SyncWindows{{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h", Applications: []string{"web", "api"}, ManualSync: true}},
	}
	if diff := cmp.Diff(want, p.Spec); diff != "" {
		t.Errorf("the saved project (-want +got):\n%s", diff)
	}
	screenshot(t, ctx, "settings-project")

	// Someone changes the project while the edit form is open: saving
	// the form is refused as a conflict, and their change stays.
	run(t, ctx, "open the edit form", chromedp.Navigate(s.URL+"/settings/projects/"+name+"/edit"), chromedp.WaitVisible(css(`#project-form`)))
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := kube(t).Get(context.Background(), client.ObjectKey{Namespace: controlPlane, Name: name}, &p); err != nil {
			return err
		}
		p.Spec.Description = "changed behind the form"
		return kube(t).Update(context.Background(), &p)
	})
	if err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "save the stale form",
		chromedp.SetValue(css(`#project-form input[name=description]`), "from the stale form"),
		chromedp.Click(css(`#project-form button[type=submit]`)),
		chromedp.WaitVisible(css(`main p[role=alert]`)),
	)
	if msg := read(t, ctx, "the error", chromedp.Text(css(`main p[role=alert]`))); !strings.Contains(msg, "changed by someone else") {
		t.Errorf("a stale form shows %q, want a conflict", msg)
	}
	if err := kube(t).Get(context.Background(), client.ObjectKey{Namespace: controlPlane, Name: name}, &p); err != nil {
		t.Fatal(err)
	}
	if p.Spec.Description != "changed behind the form" {
		t.Errorf("after a conflict the description is %q", p.Spec.Description)
	}
}

// TestSettingsRoleToken adds a role to a project, creates its token,
// shown once, and uses it against the API.
func TestSettingsRoleToken(t *testing.T) {
	s := startCapstan(t)
	const name = "uiset-roles"
	p := &v1alpha1.AppProject{ObjectMeta: objectMeta(name), Spec: v1alpha1.AppProjectSpec{SourceRepos: []string{"*"}}}
	if err := kube(t).Create(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube(t).Delete(context.Background(), p) })
	ctx := settingsBrowser(t)
	login(t, ctx, s, "admin", s.Password)
	run(t, ctx, "add a role",
		chromedp.Navigate(s.URL+"/settings/projects/"+name),
		chromedp.Click(css(`#new-role summary`)),
		chromedp.SendKeys(css(`#new-role input[name=role]`), "ci"),
		chromedp.SendKeys(css(`#new-role textarea[name=policies]`), "p, proj:"+name+":ci, projects, get, "+name+", allow"),
		chromedp.Click(css(`#new-role button[type=submit]`)),
		waitDone("role-saved"),
		chromedp.SendKeys(css(`#role-ci input[name=id]`), "pipeline"),
		chromedp.Click(css(`#role-ci form.grid-form button[type=submit]`)),
		chromedp.WaitVisible(css(`#new-token`)),
	)
	token := read(t, ctx, "the token", chromedp.Value(css(`#token-value`)))
	if token == "" {
		t.Fatal("no token shown")
	}
	if got := apiStatus(t, s, token, "/api/v1/projects/"+name); got != http.StatusOK {
		t.Errorf("the role's token reads its project with %d, want 200", got)
	}
	if got := apiStatus(t, s, token, "/api/v1/projects/default"); got != http.StatusForbidden {
		t.Errorf("the role's token reads another project with %d, want 403", got)
	}
	// Shown once: the project's page does not show it again.
	run(t, ctx, "reload", chromedp.Navigate(s.URL+"/settings/projects/"+name), chromedp.WaitVisible(css(`#role-ci`)))
	if html := read(t, ctx, "the page", chromedp.OuterHTML(css(`html`))); strings.Contains(html, token) {
		t.Error("the token is shown again")
	}
	if row := read(t, ctx, "the tokens", chromedp.Text(css(`#role-ci .tokens tbody`))); !strings.Contains(row, "pipeline") {
		t.Errorf("the role's tokens are %q, want pipeline", row)
	}
}

// TestSettingsAccountToken generates an API token for one's own account
// and uses it.
func TestSettingsAccountToken(t *testing.T) {
	s := startCapstan(t)
	addUser(t, "uiset-bot", "uiset-bot-pass-1", "g, NAME, role:readonly")
	editSettings(t, "argocd-cm", func(d map[string]string) { d["accounts.uiset-bot"] = "apiKey, login" })
	ctx := settingsBrowser(t)
	login(t, ctx, s, "uiset-bot", "uiset-bot-pass-1")
	run(t, ctx, "open the accounts", chromedp.Navigate(s.URL+"/settings/accounts"), chromedp.WaitVisible(css(`#accounts`)))
	if got := read(t, ctx, "the accounts", chromedp.Text(css(`#accounts tbody`))); !strings.Contains(got, "uiset-bot") {
		t.Errorf("the accounts list shows %q, want the user's own account", got)
	}
	screenshot(t, ctx, "settings-accounts")
	run(t, ctx, "generate a token",
		chromedp.Navigate(s.URL+"/settings/accounts/uiset-bot"),
		chromedp.WaitVisible(css(`#new-token-form`)),
		chromedp.SendKeys(css(`#new-token-form input[name=expiresIn]`), "1h"),
		chromedp.Click(css(`#new-token-form button[type=submit]`)),
		chromedp.WaitVisible(css(`#new-token`)),
	)
	token := read(t, ctx, "the token", chromedp.Value(css(`#token-value`)))
	if got := apiUser(t, s, token); got != "uiset-bot" {
		t.Errorf("the token signs in as %q, want uiset-bot", got)
	}
	screenshot(t, ctx, "settings-account-token")
}

// TestSettingsReadOnly shows a read-only user the settings without a
// control to change them, refuses a form they force, and shows on the
// user info page what they may do.
func TestSettingsReadOnly(t *testing.T) {
	s := startCapstan(t)
	addUser(t, "uiset-viewer", "uiset-viewer-pass-1", "g, NAME, role:readonly")
	p := &v1alpha1.AppProject{ObjectMeta: objectMeta("uiset-ro"), Spec: v1alpha1.AppProjectSpec{SourceRepos: []string{"*"},
		Roles: []v1alpha1.ProjectRole{{Name: "ci"}}, SyncWindows: v1alpha1.SyncWindows{{Kind: "allow", Schedule: "* * * * *", Duration: "1h", Applications: []string{"*"}}}}}
	if err := kube(t).Create(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube(t).Delete(context.Background(), p) })
	ctx := settingsBrowser(t)
	login(t, ctx, s, "uiset-viewer", "uiset-viewer-pass-1")
	for _, page := range []struct{ path, ready, control string }{
		{"/settings/repos", "#repos", "#add-repo, #add-creds, #repos form"},
		{"/settings/projects", "#projects", "#new-project"},
		{"/settings/projects/uiset-ro", "#summary", "#edit-project, #new-role, #new-window, main form"},
	} {
		run(t, ctx, "open "+page.path, chromedp.Navigate(s.URL+page.path), chromedp.WaitVisible(css(`main h1`)))
		if n := read(t, ctx, "find "+page.ready, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(page.ready)+`).length`)); n == 0 {
			t.Fatalf("%s shows no %s: %s", page.path, page.ready, read(t, ctx, "the page", chromedp.Text(css(`main`))))
		}
		n := read(t, ctx, "count the controls", chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(page.control)+`).length`))
		if n != 0 {
			t.Errorf("%s shows a read-only user %d controls (%s)", page.path, n, page.control)
		}
	}

	// A form forced past the hidden controls: the API refuses it.
	token := apiLogin(t, s, "uiset-viewer", "uiset-viewer-pass-1")
	status, body := postForm(t, s, token, "/settings/projects", url.Values{"name": {"uiset-forced"}})
	if status != http.StatusForbidden || !strings.Contains(body, "permission denied") {
		t.Errorf("a forced create answered %d %q, want 403 with the API's message", status, excerpt(body))
	}
	err := kube(t).Get(context.Background(), client.ObjectKey{Namespace: controlPlane, Name: "uiset-forced"}, &v1alpha1.AppProject{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("after a refused create the project exists (%v)", err)
	}

	run(t, ctx, "open the user info", chromedp.Navigate(s.URL+"/user-info"), chromedp.WaitVisible(css(`#can`)))
	if got := read(t, ctx, "the username", chromedp.Text(css(`#username`))); got != "uiset-viewer" {
		t.Errorf("user info names %q", got)
	}
	can := read(t, ctx, "the answers", chromedp.Evaluate[map[string][]string](`Object.fromEntries([...document.querySelectorAll("#can tbody tr")].map(r => [r.dataset.resource, [...r.querySelectorAll("td")].map(td => td.textContent.trim())]))`))
	want := map[string][]string{
		"applications": {"✓ yes", "✗ no", "✗ no", "✗ no", "✗ no"},
		"projects":     {"✓ yes", "✗ no", "✗ no", "✗ no", ""},
		"repositories": {"✓ yes", "✗ no", "✗ no", "✗ no", ""},
		"clusters":     {"✓ yes", "✗ no", "✗ no", "✗ no", ""},
		"accounts":     {"✓ yes", "", "✗ no", "", ""},
	}
	if diff := cmp.Diff(want, can); diff != "" {
		t.Errorf("what a read-only user may do (-want +got):\n%s", diff)
	}
	screenshot(t, ctx, "user-info")
}

// TestSettingsUserInfoAdmin shows the admin's groups-free local identity
// and that it may do everything; on a phone-wide screen the pages fit.
func TestSettingsUserInfoAdmin(t *testing.T) {
	s := startCapstan(t)
	ctx := settingsBrowser(t)
	login(t, ctx, s, "admin", s.Password)
	run(t, ctx, "open the user info", chromedp.Navigate(s.URL+"/user-info"), chromedp.WaitVisible(css(`#can`)))
	if got := read(t, ctx, "the issuer", chromedp.Text(css(`#issuer`))); !strings.Contains(got, "argocd") {
		t.Errorf("the issuer is %q", got)
	}
	no := read(t, ctx, "count the refusals", chromedp.Evaluate[int](`document.querySelectorAll("#can td.can-no").length`))
	if no != 0 {
		t.Errorf("the admin is refused %d actions", no)
	}
	run(t, ctx, "a phone-wide screen", chromedp.EmulateViewport(390, 844))
	for _, page := range []string{"/settings", "/settings/repos", "/settings/repos/new", "/settings/projects", "/settings/clusters", "/user-info"} {
		run(t, ctx, "open "+page, chromedp.Navigate(s.URL+page), chromedp.WaitVisible(css(`main h1`)))
		if wide := read(t, ctx, "measure", chromedp.Evaluate[string](overflowing)); wide != "" {
			t.Errorf("%s is wider than a 390px screen: %s", page, wide)
		}
	}
}

// overflowing names the elements that reach past the right edge of the
// window, "" when the page fits its width.
const overflowing = `document.documentElement.scrollWidth <= window.innerWidth ? "" :
	[...document.querySelectorAll("main *")].filter(e => e.getBoundingClientRect().right > window.innerWidth && !e.closest(".scroll"))
	.slice(0, 5).map(e => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right) + "px").join(", ")`

// waitDone waits until a form's answer has led to a page with the notice
// of done; when it does not come, the error says what the page shows.
func waitDone(done string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		_, err := chromedp.WaitVisible(css(`#done-`+done))(wctx, t)
		if err != nil {
			shown, _ := chromedp.Evaluate[string](`location.href + ": " + document.body.innerText.slice(0, 400)`)(ctx, t)
			return chromedp.Void{}, fmt.Errorf("no notice %s: %w; the page is %s", done, err, shown)
		}
		return chromedp.Void{}, nil
	}
}

// settingsBrowser is a browser whose actions fail after a minute and a
// half rather than wait for the harness's five: a page that did not come
// fails the test where it is.
func settingsBrowser(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(browser(t), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// skipConfirm takes the confirmation question off the form sel, which
// would otherwise stop the headless browser at a dialog.
func skipConfirm(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.RemoveAttribute(css(sel), "data-confirm")
}

// objectMeta names an object of the control plane.
func objectMeta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: controlPlane, Name: name}
}

// apiStatus is the status of GET path with token.
func apiStatus(t *testing.T, s *server, token, path string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// postForm posts form to a UI page as the session token's user would,
// with the session's form token read from a page, and answers the status
// and the page.
func postForm(t *testing.T, s *server, token, path string, form url.Values) (int, string) {
	t.Helper()
	get := func(method, p string, body io.Reader) (int, string) {
		req, _ := http.NewRequest(method, s.URL+p, body)
		req.AddCookie(&http.Cookie{Name: "argocd.token", Value: token})
		if body != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	_, page := get(http.MethodGet, "/settings", nil)
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no form token on /settings")
	}
	form.Set("csrf", m[1])
	return get(http.MethodPost, path, strings.NewReader(form.Encode()))
}

// jsString quotes s for JavaScript.
func jsString(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// excerpt is the start of a long text, for messages.
func excerpt(s string) string {
	if i := strings.Index(s, `role="alert"`); i >= 0 {
		s = s[i:]
	}
	if len(s) > 300 {
		return s[:300]
	}
	return s
}

// TestSettingsRepoCreds adds a credentials template and removes it.
func TestSettingsRepoCreds(t *testing.T) {
	s := startCapstan(t)
	const prefix = "https://git.uiset.example/team/"
	ctx := settingsBrowser(t)
	login(t, ctx, s, "admin", s.Password)
	run(t, ctx, "add a credentials template",
		chromedp.Navigate(s.URL+"/settings/repos"),
		chromedp.Click(css(`details:has(#add-creds) summary`)),
		chromedp.SendKeys(css(`#add-creds input[name=url]`), prefix),
		chromedp.SendKeys(css(`#add-creds input[name=username]`), "bot"),
		chromedp.SendKeys(css(`#add-creds input[name=password]`), "uiset-creds-pass"),
		chromedp.Click(css(`#add-creds button[type=submit]`)),
		waitDone("creds-added"),
	)
	if got := read(t, ctx, "the templates", chromedp.Text(css(`#creds tbody`))); !strings.Contains(got, prefix) || !strings.Contains(got, "bot") {
		t.Errorf("the templates are listed as %q", got)
	}
	if html := read(t, ctx, "the page", chromedp.OuterHTML(css(`html`))); strings.Contains(html, "uiset-creds-pass") {
		t.Error("the page shows the template's password")
	}
	run(t, ctx, "remove it",
		skipConfirm(`#creds form`),
		chromedp.Click(css(`#creds form button`)),
		waitDone("creds-deleted"),
	)
	var secrets corev1.SecretList
	if err := kube(t).List(context.Background(), &secrets, client.InNamespace(controlPlane), client.MatchingLabels{"argocd.argoproj.io/secret-type": "repo-creds"}); err != nil {
		t.Fatal(err)
	}
	for _, sec := range secrets.Items {
		if string(sec.Data["url"]) == prefix {
			t.Errorf("the template's Secret %s is still there", sec.Name)
		}
	}
}

// TestSettingsClusters lists a cluster, shows its page without its
// credentials, and removes it; the in-cluster destination cannot be.
func TestSettingsClusters(t *testing.T) {
	s := startCapstan(t)
	const server = "https://uiset-cluster.example:6443"
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: controlPlane, Name: "uiset-cluster",
			Labels:      map[string]string{"argocd.argoproj.io/secret-type": "cluster"},
			Annotations: map[string]string{"managed-by": "argocd.argoproj.io"}},
		StringData: map[string]string{"name": "uiset-prod", "server": server, "namespaces": "web,api",
			"config": `{"bearerToken":"uiset-cluster-token","tlsClientConfig":{"insecure":true}}`},
	}
	if err := kube(t).Create(context.Background(), sec); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube(t).Delete(context.Background(), sec) })
	ctx := settingsBrowser(t)
	login(t, ctx, s, "admin", s.Password)
	run(t, ctx, "open the clusters", chromedp.Navigate(s.URL+"/settings/clusters"), chromedp.WaitVisible(css(`#clusters`)))
	if got := read(t, ctx, "the clusters", chromedp.Text(css(`#clusters tbody`))); !strings.Contains(got, "uiset-prod") || !strings.Contains(got, "web, api") || !strings.Contains(got, "in-cluster") {
		t.Errorf("the clusters are listed as %q, want uiset-prod with its namespaces and in-cluster", got)
	}
	screenshot(t, ctx, "settings-clusters")
	run(t, ctx, "open the in-cluster destination",
		chromedp.Click(css(`#clusters a[href*="kubernetes.default.svc"]`)),
		chromedp.WaitVisible(css(`#cluster-fields`)),
	)
	if n := read(t, ctx, "count the forms", chromedp.Evaluate[int](`document.querySelectorAll("main form").length`)); n != 0 {
		t.Errorf("the in-cluster destination's page has %d forms, want no Remove", n)
	}
	run(t, ctx, "open the cluster",
		chromedp.Navigate(s.URL+"/settings/clusters"),
		chromedp.Click(css(`#clusters a[href*="uiset-cluster"]`)),
		chromedp.WaitVisible(css(`#cluster-fields`)),
	)
	if html := read(t, ctx, "the page", chromedp.OuterHTML(css(`html`))); strings.Contains(html, "uiset-cluster-token") || !strings.Contains(html, "certificate not verified") {
		t.Error("the cluster's page shows its token, or not that its certificate is not verified")
	}
	run(t, ctx, "remove it",
		skipConfirm(`main form`),
		chromedp.Click(css(`main form button`)),
		waitDone("cluster-deleted"),
	)
	err := kube(t).Get(context.Background(), client.ObjectKeyFromObject(sec), &corev1.Secret{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("after removal the cluster Secret is still there (%v)", err)
	}
}

// TestSettingsChangePassword changes a local user's password on the user
// info page; confirmations that differ are refused, and the change ends
// the session.
func TestSettingsChangePassword(t *testing.T) {
	s := startCapstan(t)
	addUser(t, "uiset-pw", "uiset-old-pass-1", "g, NAME, role:readonly")
	ctx := settingsBrowser(t)
	login(t, ctx, s, "uiset-pw", "uiset-old-pass-1")
	fill := func(confirm string) {
		run(t, ctx, "fill the password form",
			chromedp.Navigate(s.URL+"/user-info"),
			chromedp.SendKeys(css(`#password-form input[name=currentPassword]`), "uiset-old-pass-1"),
			chromedp.SendKeys(css(`#password-form input[name=newPassword]`), "uiset-new-pass-2"),
			chromedp.SendKeys(css(`#password-form input[name=confirmPassword]`), confirm),
			chromedp.Click(css(`#password-form button[type=submit]`)),
		)
	}
	fill("uiset-typo-pass-2")
	run(t, ctx, "see the refusal", chromedp.WaitVisible(css(`#password-error`)))
	fill("uiset-new-pass-2")
	run(t, ctx, "sign in again",
		chromedp.WaitVisible(css(`input[name=username]`)),
		chromedp.SendKeys(css(`input[name=username]`), "uiset-pw"),
		chromedp.SendKeys(css(`input[name=password]`), "uiset-new-pass-2"),
		chromedp.Submit(css(`input[name=password]`)),
		waitDone("password-changed"),
	)
}
