// Package ui serves capstan's web dashboard: HTML rendered on the server,
// with a little hand-written JavaScript for live updates and dialogs, all
// embedded in the binary.
//
// The UI holds no data of its own and has no privileges: every page reads
// and every form writes through capstan's REST API, called in-process with
// the caller's own session token, so the same authentication, RBAC and
// masking apply as to the CLI. A page works without JavaScript for
// reading; scripts only add live updates and conveniences.
package ui

import (
	"net/http"
	"strings"
)

// UI is the web dashboard in front of the REST API.
type UI struct {
	// API is capstan's REST API handler. The UI serves its own pages and
	// passes every other path (/api/, /auth/, /healthz...) on to it.
	API http.Handler

	pages pages
}

// New returns the UI in front of api.
func New(api http.Handler) (*UI, error) {
	p, err := newPages()
	if err != nil {
		return nil, err
	}
	return &UI{API: api, pages: p}, nil
}

// route is one page or form handler of the UI: a ServeMux pattern such as
// "GET /applications/{name}", and whether it needs a signed-in user (one
// that does not is sent to the login page).
type route struct {
	pattern string
	public  bool
	handle  func(w http.ResponseWriter, r *http.Request, c *call)
}

// Handler returns the UI's handler: its pages, its static files, and the
// REST API for every other path.
func (u *UI) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, p := range apiPaths {
		mux.Handle(p, u.API)
	}
	mux.Handle("GET /static/", staticHandler())
	// Each group of pages lists its routes in its own file.
	for _, group := range [][]route{
		u.loginRoutes(),
		u.settingsRoutes(),
		u.appOpsRoutes(),
		u.appsListRoutes(),
		u.appRoutes(),
		{{pattern: "/", handle: func(w http.ResponseWriter, r *http.Request, c *call) {
			u.renderError(w, r, c, http.StatusNotFound, "There is no page at "+r.URL.Path+".")
		}}},
	} {
		for _, rt := range group {
			mux.Handle(rt.pattern, u.page(rt))
		}
	}
	return securityHeaders(mux)
}

// page runs a route with a call to the API on the caller's behalf, and
// sends a caller without a valid session to the login page.
func (u *UI) page(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := u.newCall(r)
		if !rt.public {
			if _, err := c.user(); err != nil {
				u.fail(w, r, c, err)
				return
			}
		}
		if !rt.public && r.Method == http.MethodPost && !c.validCSRF(r.PostFormValue(csrfField)) {
			u.renderError(w, r, c, http.StatusForbidden, "This form has expired or did not come from this page; reload the page and try again.")
			return
		}
		rt.handle(w, r, c)
	})
}

// securityHeaders keeps the UI's pages out of frames and limits what they
// may load to capstan's own origin.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if !isAPIPath(r.URL.Path) {
			h.Set("Content-Security-Policy", pageCSP)
		}
		next.ServeHTTP(w, r)
	})
}

// pageCSP is the Content-Security-Policy of every page.
const pageCSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"

// apiPaths are the paths the REST API serves, ServeMux patterns.
var apiPaths = []string{"/api/", "/auth/", "/healthz", "/swagger.json", "/swagger-ui"}

func isAPIPath(p string) bool {
	for _, prefix := range apiPaths {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}
