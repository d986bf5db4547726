package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/settings"
)

// matrixPolicy is the argocd-rbac-cm of the matrix: a role limited to one
// project, the built-in readonly, a role that may patch Deployments of
// team-a's Applications and nothing else of them, and a default role that
// shows the public project to every signed-in caller.
var matrixPolicy = map[string]string{
	"policy.csv": `
p, role:team-a, applications, *, team-a/*, allow
g, alice, role:team-a
g, reader, role:readonly
p, patcher, applications, get, */*, allow
p, patcher, applications, update/apps/Deployment/*, team-a/*, allow
p, patcher, applications, action/apps/Deployment/restart, team-a/*, allow
`,
	"policy.default.csv": "p, role:basic, applications, get, public/*, allow",
	"policy.default":     "role:basic",
}

// matrixServer is a server with matrixPolicy, the projects team-a (with
// role ci, which may get and sync), team-b and public, and a signed-in
// token for each caller of the matrix.
func matrixServer(t *testing.T) (*testServer, map[string]string) {
	t.Helper()
	opts := []testServerOption{withConfigMap(settings.RBAC, matrixPolicy)}
	for _, u := range []string{"alice", "reader", "patcher", "nobody"} {
		opts = append(opts, withAccount(u, "login", u+"-password"))
	}
	s := newTestServer(t, opts...)
	// The endpoints on an Application's objects read the in-cluster
	// destination; the server reads Backends per request.
	s.API.Backends = &Backends{InCluster: env.Config()}
	projectWithRoles(t, s, "team-a", v1alpha1.ProjectRole{Name: "ci", Policies: []string{
		"p, proj:team-a:ci, applications, get, team-a/*, allow",
		"p, proj:team-a:ci, applications, sync, team-a/*, allow",
	}})
	projectWithRoles(t, s, "team-b")
	projectWithRoles(t, s, "public")
	tokens := map[string]string{"admin": s.loginAdmin(t)}
	for _, u := range []string{"alice", "reader", "patcher", "nobody"} {
		tokens[u] = s.login(t, u, u+"-password")
	}
	var out tokenResponse
	s.decode(t, s.do(t, tokens["admin"], http.MethodPost, "/api/v1/projects/team-a/roles/ci/token", map[string]any{"id": "matrix"}), http.StatusOK, &out)
	tokens["ci"] = out.Token
	eventually(t, "the project token to be honoured", func(ctx context.Context) (bool, error) {
		_, err := s.API.Auth.Authenticate(ctx, out.Token)
		return err == nil, nil
	})
	return s, tokens
}

// matrixCallers are the callers of the matrix: the admin, alice of
// role:team-a, a reader of role:readonly, the patcher, nobody (only the
// default role) and ci, the token of team-a's project role.
var matrixCallers = []string{"admin", "alice", "reader", "patcher", "nobody", "ci"}

// request is one request of the matrix on an Application; %s in path is
// the Application's name. allowed is the status of an allowed request
// (404 for an object the Application does not have, whose refusal comes
// after RBAC's).
type matrixRequest struct {
	name, method, path string
	body               any
	allowed            int
}

var (
	getApp       = matrixRequest{"get", http.MethodGet, "/api/v1/applications/%s", nil, http.StatusOK}
	getTree      = matrixRequest{"resource-tree", http.MethodGet, "/api/v1/applications/%s/resource-tree", nil, http.StatusOK}
	getEvents    = matrixRequest{"events", http.MethodGet, "/api/v1/applications/%s/events", nil, http.StatusOK}
	getResource  = matrixRequest{"get resource", http.MethodGet, "/api/v1/applications/%s/resource?group=apps&version=v1&kind=Deployment&namespace=team-a&resourceName=web", nil, http.StatusNotFound}
	patchApp     = matrixRequest{"patch", http.MethodPatch, "/api/v1/applications/%s", map[string]string{"patch": `{"metadata":{"labels":{"patched":"yes"}}}`, "patchType": "merge"}, http.StatusOK}
	syncApp      = matrixRequest{"sync", http.MethodPost, "/api/v1/applications/%s/sync", map[string]any{}, http.StatusOK}
	patchDeploy  = matrixRequest{"patch Deployment", http.MethodPost, "/api/v1/applications/%s/resource?group=apps&version=v1&kind=Deployment&namespace=team-a&resourceName=web", `"{}"`, http.StatusNotFound}
	patchConfig  = matrixRequest{"patch ConfigMap", http.MethodPost, "/api/v1/applications/%s/resource?version=v1&kind=ConfigMap&namespace=team-a&resourceName=web", `"{}"`, http.StatusNotFound}
	deleteDeploy = matrixRequest{"delete Deployment", http.MethodDelete, "/api/v1/applications/%s/resource?group=apps&version=v1&kind=Deployment&namespace=team-a&resourceName=web", nil, http.StatusNotFound}
	deleteApp    = matrixRequest{"delete", http.MethodDelete, "/api/v1/applications/%s", nil, http.StatusOK}
	restart      = matrixRequest{"restart", http.MethodPost, "/api/v1/applications/%s/resource/actions?group=apps&version=v1&kind=Deployment&namespace=team-a&resourceName=web", `"restart"`, http.StatusNotFound}
	pause        = matrixRequest{"pause", http.MethodPost, "/api/v1/applications/%s/resource/actions?group=apps&version=v1&kind=Deployment&namespace=team-a&resourceName=web", `"pause"`, http.StatusNotFound}
)

// TestRBACMatrix walks callers × endpoints × verbs through the real
// server and its RBAC, and compares every answer at once: allowed (the
// endpoint's status) or 403. Requests that change an Application each
// get an Application of their own, so that no answer depends on another.
func TestRBACMatrix(t *testing.T) {
	s, tokens := matrixServer(t)
	const repo = "https://git.example.com/matrix.git"
	createApps(t, s, appIn(s, "a", "team-a", repo), appIn(s, "b", "team-b", repo), appIn(s, "pub", "public", repo))

	// allow lists, per request and Application project, who is allowed.
	type row struct {
		req     matrixRequest
		project string
		allow   []string
	}
	readers := []string{"admin", "alice", "reader", "patcher", "ci"}
	var rows []row
	for _, req := range []matrixRequest{getApp, getTree, getEvents, getResource} {
		rows = append(rows,
			row{req, "team-a", readers},
			row{req, "team-b", []string{"admin", "reader", "patcher"}},
			// The default role shows public to everyone but a project
			// role's token, which acts within its project only.
			row{req, "public", []string{"admin", "alice", "reader", "patcher", "nobody"}})
	}
	for _, req := range []matrixRequest{patchApp, deleteDeploy, deleteApp} {
		rows = append(rows, row{req, "team-a", []string{"admin", "alice"}}, row{req, "team-b", []string{"admin"}})
	}
	rows = append(rows,
		row{syncApp, "team-a", []string{"admin", "alice", "ci"}}, row{syncApp, "team-b", []string{"admin"}},
		// update/apps/Deployment/* allows patching Deployments only, and
		// update alone (alice's * aside) would not cover them.
		row{patchDeploy, "team-a", []string{"admin", "alice", "patcher"}}, row{patchDeploy, "team-b", []string{"admin"}},
		row{patchConfig, "team-a", []string{"admin", "alice"}},
		// action/apps/Deployment/restart allows that action only.
		row{restart, "team-a", []string{"admin", "alice", "patcher"}}, row{restart, "team-b", []string{"admin"}},
		row{pause, "team-a", []string{"admin", "alice"}})

	var apps []*v1alpha1.Application
	type call struct {
		key, app string
		req      matrixRequest
		want     int
	}
	var calls []call
	for _, r := range rows {
		for _, who := range matrixCallers {
			app := map[string]string{"team-a": "a", "team-b": "b", "public": "pub"}[r.project]
			if r.req.method != http.MethodGet {
				app = fmt.Sprintf("%s-%s-%s", strings.ReplaceAll(r.req.name, " ", "-"), who, r.project)
				app = strings.ToLower(app)
				apps = append(apps, appIn(s, app, r.project, repo))
			}
			want := http.StatusForbidden
			if slices.Contains(r.allow, who) {
				want = r.req.allowed
			}
			calls = append(calls, call{fmt.Sprintf("%-7s %-17s %s", who, r.req.name, r.project), app, r.req, want})
		}
	}
	createApps(t, s, apps...)

	want, got := map[string]int{}, map[string]int{}
	for _, c := range calls {
		want[c.key] = c.want
		resp := s.do(t, tokens[strings.Fields(c.key)[0]], c.req.method, fmt.Sprintf(c.req.path, c.app), c.req.body)
		resp.Body.Close()
		got[c.key] = resp.StatusCode
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status by caller, request and project (-want +got):\n%s", diff)
	}
}

// TestRBACMatrixOutsideApplications: creating Applications, project role
// tokens, reading and creating projects, and reading accounts, by caller.
func TestRBACMatrixOutsideApplications(t *testing.T) {
	s, tokens := matrixServer(t)
	want, got := map[string]int{}, map[string]int{}
	for _, who := range matrixCallers {
		for _, project := range []string{"team-a", "team-b"} {
			key := fmt.Sprintf("%s create in %s", who, project)
			want[key] = http.StatusForbidden
			if who == "admin" || who == "alice" && project == "team-a" {
				want[key] = http.StatusOK
			}
			app := appIn(s, "new-"+who+"-"+project, project, "https://git.example.com/new.git")
			app.Namespace = ""
			resp := s.do(t, tokens[who], http.MethodPost, "/api/v1/applications", app)
			resp.Body.Close()
			got[key] = resp.StatusCode
		}
		key := who + " create project token"
		want[key] = map[bool]int{true: http.StatusOK, false: http.StatusForbidden}[who == "admin"]
		resp := s.do(t, tokens[who], http.MethodPost, "/api/v1/projects/team-a/roles/ci/token", map[string]any{"id": "by-" + who})
		resp.Body.Close()
		got[key] = resp.StatusCode

		for _, project := range []string{"team-a", "team-b"} {
			key := fmt.Sprintf("%s get project %s", who, project)
			// A project role may get its own project.
			want[key] = map[bool]int{true: http.StatusOK, false: http.StatusForbidden}[who == "admin" || who == "reader" || who == "ci" && project == "team-a"]
			resp := s.do(t, tokens[who], http.MethodGet, "/api/v1/projects/"+project, nil)
			resp.Body.Close()
			got[key] = resp.StatusCode
		}
		var projects v1alpha1.AppProjectList
		s.decode(t, s.do(t, tokens[who], http.MethodGet, "/api/v1/projects", nil), http.StatusOK, &projects)
		key = who + " list projects"
		want[key] = map[string]int{"admin": 3, "reader": 3, "ci": 1}[who]
		got[key] = len(projects.Items)

		key = who + " get account reader"
		want[key] = map[bool]int{true: http.StatusOK, false: http.StatusForbidden}[who == "admin" || who == "reader"]
		resp = s.do(t, tokens[who], http.MethodGet, "/api/v1/account/reader", nil)
		resp.Body.Close()
		got[key] = resp.StatusCode
	}
	// Projects are created once every list above is done.
	for _, who := range matrixCallers {
		key := who + " create project"
		want[key] = map[bool]int{true: http.StatusOK, false: http.StatusForbidden}[who == "admin"]
		resp := s.do(t, tokens[who], http.MethodPost, "/api/v1/projects", map[string]any{"project": map[string]any{"metadata": map[string]string{"name": "new-" + who}}})
		resp.Body.Close()
		got[key] = resp.StatusCode
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status by caller and request (-want +got):\n%s", diff)
	}
	var stored v1alpha1.AppProject
	if err := s.Client.Get(t.Context(), client.ObjectKey{Namespace: s.Namespace, Name: "team-a"}, &stored); err != nil {
		t.Fatal(err)
	}
	if n := len(stored.Spec.Roles[0].JWTTokens); n != 2 {
		t.Errorf("team-a's role ci records %d tokens, want 2 (the matrix's and the admin's)", n)
	}
}

// TestProjectIsolationInListAndStream: a caller whose role is limited to
// project team-a, and team-a's role token, never see team-b's
// Applications, in the list or in the stream, whatever the order of the
// changes.
func TestProjectIsolationInListAndStream(t *testing.T) {
	s, tokens := matrixServer(t)
	const repo = "https://git.example.com/isolation.git"
	createApps(t, s, appIn(s, "b1", "team-b", repo), appIn(s, "a1", "team-a", repo), appIn(s, "pub", "public", repo))

	got := map[string][]string{}
	for _, who := range []string{"alice", "ci", "nobody"} {
		for _, query := range []string{"", "?projects=team-b"} {
			var list appList
			s.decode(t, s.do(t, tokens[who], http.MethodGet, "/api/v1/applications"+query, nil), http.StatusOK, &list)
			got[who+" "+query] = names(list.Items)
		}
	}
	want := map[string][]string{
		"alice ": {"a1", "pub"}, "alice ?projects=team-b": {},
		"ci ": {"a1"}, "ci ?projects=team-b": {},
		"nobody ": {"pub"}, "nobody ?projects=team-b": {},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listed by caller and query (-want +got):\n%s", diff)
	}

	alice, ci := openStream(t, s, tokens["alice"], "", true), openStream(t, s, tokens["ci"], "", false)
	var aliceFirst []string
	for range 2 {
		aliceFirst = append(aliceFirst, next(t, alice))
	}
	slices.Sort(aliceFirst)
	if diff := cmp.Diff([]string{"ADDED a1", "ADDED pub"}, aliceFirst); diff != "" {
		t.Fatalf("alice's stream began (-want +got):\n%s", diff)
	}
	if got := next(t, ci); got != "ADDED a1" {
		t.Fatalf("the token's stream began with %q, want ADDED a1", got)
	}
	// team-b's and public's changes come first; each stream's next event
	// is the first change it may see.
	createApps(t, s, appIn(s, "b2", "team-b", repo))
	b1 := stored(t, s, "b1")
	b1.Labels = map[string]string{"changed": "yes"}
	if err := s.Client.Update(t.Context(), b1); err != nil {
		t.Fatal(err)
	}
	createApps(t, s, appIn(s, "pub2", "public", repo), appIn(s, "a2", "team-a", repo))
	if got := next(t, alice); got != "ADDED pub2" {
		t.Errorf("alice's stream sent %q, want ADDED pub2", got)
	}
	if got := next(t, alice); got != "ADDED a2" {
		t.Errorf("alice's stream sent %q, want ADDED a2", got)
	}
	if got := next(t, ci); got != "ADDED a2" {
		t.Errorf("the token's stream sent %q, want ADDED a2", got)
	}
}
