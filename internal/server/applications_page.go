package server

import (
	"net/http"
)

// pageRoutes serve the web dashboard's list of Applications: filtered,
// counted and cut into pages on the server, so that a browser showing
// thousands of Applications downloads one page of small summaries. The
// path lies outside /api/v1/applications/, where it could clash with an
// Application's name.
func (a *API) pageRoutes() []route {
	return []route{{pattern: "GET /api/v1/ui/applications", handle: a.pageApplications, query: pageQueryParams,
		doc: "List one page of summaries of the Applications the caller may get, with counts by sync status and health"}}
}

// pageApplications answers GET /api/v1/ui/applications from the cache.
func (a *API) pageApplications(w http.ResponseWriter, r *http.Request) {
	q, err := parsePageQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	// Every Application the caller may get: the filters' options come
	// from them all.
	apps, version, err := a.visibleApps(r, appQuery{})
	if err != nil {
		writeKubeError(w, err, "list Applications")
		return
	}
	p := pageOf(apps, q)
	p.Metadata.ResourceVersion = version
	writeJSON(w, http.StatusOK, p)
}
