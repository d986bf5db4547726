package ui

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"

	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// appRoutes serve the page of one Application: its header, its resource
// tree or list, and the panel of one of its resources. The operations on
// it (sync, refresh, history...) live under the same path, in
// app_ops*.go.
func (u *UI) appRoutes() []route {
	return []route{
		{pattern: "GET /applications/{namespace}/{name}", handle: u.appPage},
	}
}

func init() {
	addFuncs(template.FuncMap{
		"appNodeAt":    func(path string, n *appNode) appNodeView { return appNodeView{Path: path, Node: n} },
		"appPanelAt":   func(path string, p *resourcePanel) appPanelView { return appPanelView{Path: path, Panel: p} },
		"appResLink":   func(path, key string) string { return withQuery(path, "resource", key) + "#resource" },
		"appTabName":   func(tab string) string { return appTabNames[tab] },
		"appDiffClass": func(op string) string { return appDiffClasses[op] },
	})
}

// appNodeView and appPanelView give a node of the tree, or the resource
// panel, with the page's path that their links change.
type (
	appNodeView struct {
		Path string
		Node *appNode
	}
	appPanelView struct {
		Path  string
		Panel *resourcePanel
	}
)

// appTabNames are the titles of the resource panel's tabs.
var appTabNames = map[string]string{"live": "Live manifest", "desired": "Desired manifest", "diff": "Diff", "events": "Events"}

// appDiffClasses name the lines of a unified diff for the stylesheet.
var appDiffClasses = map[string]string{" ": "same", "-": "del", "+": "add"}

// appView is the Application page's data.
type appView struct {
	App *v1alpha1.Application
	// Base is the page's path, which the operations' paths extend.
	Base string
	// Header is what the header shows beyond the Application itself.
	Header appHeader
	// View is "tree" or "list".
	View string
	// Tree is the resource tree; Flat the same nodes in list order.
	Tree, Flat []*appNode
	// TreeError says why the live tree could not be read; the tree is
	// then drawn from the Application's status alone.
	TreeError string
	// Resource is the panel of the selected resource, if any.
	Resource *resourcePanel
	// Done names the operation just requested on another page, which
	// came back here (post/redirect/get), for its notice.
	Done string
	// Streams are the API's event streams the page's script follows.
	AppStream, TreeStream string
}

func (u *UI) appPage(w http.ResponseWriter, r *http.Request, c *call) {
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	q := r.URL.Query()
	app, err := getApp(c, ns, name)
	if err != nil {
		u.fail(w, r, c, err)
		return
	}
	v := &appView{
		App:  app,
		Base: path("/applications", []string{ns, name}, nil),
		View: "tree",
		Done: q.Get("done"),
	}
	if q.Get("view") == "list" {
		v.View = "list"
	}
	fragment := q.Get("fragment")
	if fragment == "" || fragment == "header" {
		v.Header = loadHeader(c, app)
	}
	if fragment == "" || fragment == "resources" || q.Get("resource") != "" {
		v.loadTree(c)
	}
	if fragment != "" {
		u.appFragment(w, r, c, fragment, v)
		return
	}
	if key := q.Get("resource"); key != "" {
		v.Resource = loadResource(c, v, key, q.Get("tab"), q.Get("layout"))
	}
	lookup := url.Values{"appNamespace": {ns}}
	v.AppStream = path("/api/v1/stream/applications", nil, url.Values{"name": {name}, "appNamespace": {ns}})
	v.TreeStream = path("/api/v1/stream/applications", []string{name, "resource-tree"}, lookup)
	u.render(w, r, c, http.StatusOK, "app", name, "applications", v)
}

// getApp reads the Application ns/name through the API.
func getApp(c *call, ns, name string) (*v1alpha1.Application, error) {
	app := &v1alpha1.Application{}
	if err := c.get(appAPI(ns, name, nil), app); err != nil {
		return nil, err
	}
	return app, nil
}

// appAPI is the API path of the Application ns/name, or of a path under
// it (such as "resource-tree"), with query added.
func appAPI(ns, name string, query url.Values, sub ...string) string {
	q := url.Values{"appNamespace": {ns}}
	for k, vs := range query {
		q[k] = vs
	}
	return path("/api/v1/applications", append([]string{name}, sub...), q)
}

// loadTree reads the live resource tree and lays it out with the
// Application's status.
func (v *appView) loadTree(c *call) {
	var tree resourceTree
	if err := c.get(appAPI(v.App.Namespace, v.App.Name, nil, "resource-tree"), &tree); err != nil {
		v.TreeError = err.Error()
	}
	v.Tree = layoutTree(v.App.Status.Resources, tree.Nodes)
	v.Flat = flatten(v.Tree)
}

// appFragments are the parts of the page its script fetches again when
// the Application changes: the template that draws each.
var appFragments = map[string]string{
	"header":    "app-header",
	"resources": "app-resources",
}

// appFragment writes one part of the page, without the layout around it.
func (u *UI) appFragment(w http.ResponseWriter, r *http.Request, c *call, fragment string, v *appView) {
	tmpl, ok := appFragments[fragment]
	if !ok {
		u.renderError(w, r, c, http.StatusNotFound, "There is no part "+fragment+" of this page.")
		return
	}
	// Links in the part lead to the page, not to the part.
	page := *r.URL
	q := page.Query()
	q.Del("fragment")
	page.RawQuery = q.Encode()
	var buf bytes.Buffer
	if err := u.pages.execute(&buf, "app", tmpl, view{CSRF: c.csrf(), Path: page.RequestURI(), Data: v}); err != nil {
		log.FromContext(r.Context()).Error(err, "render a part of a page", "page", "app", "part", fragment)
		http.Error(w, "the page could not be drawn: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}
