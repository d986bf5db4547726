package ui

import (
	"net/http"
	"slices"
)

// appsListRoutes serve the list of Applications, the page after login.
func (u *UI) appsListRoutes() []route {
	return []route{{pattern: "GET /applications", handle: u.appsList}}
}

// appSummary is what the API's page of Applications tells of one.
type appSummary struct {
	Name           string `json:"name"`
	Namespace      string `json:"namespace"`
	Project        string `json:"project"`
	Repo           string `json:"repo"`
	Path           string `json:"path"`
	Chart          string `json:"chart"`
	TargetRevision string `json:"targetRevision"`
	Sources        int    `json:"sources"`
	Cluster        string `json:"cluster"`
	DestNamespace  string `json:"destNamespace"`
	Sync           string `json:"sync"`
	Health         string `json:"health"`
	Revision       string `json:"revision"`
	OperationPhase string `json:"operationPhase"`
}

// appsPage is the API's answer to GET /api/v1/ui/applications.
type appsPage struct {
	Metadata struct {
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
	Items   []appSummary `json:"items"`
	Total   int          `json:"total"`
	Visible int          `json:"visible"`
	Counts  struct {
		Sync   map[string]int `json:"sync"`
		Health map[string]int `json:"health"`
	} `json:"counts"`
	Options struct {
		Projects   []string `json:"projects"`
		Clusters   []string `json:"clusters"`
		Namespaces []string `json:"namespaces"`
	} `json:"options"`
}

// appsListView is the Applications page's data.
type appsListView struct {
	Filter listFilter
	appsPage
	// From and To number the first and last Application shown, from 1.
	From, To int
	// Prev and Next are the addresses of the pages around; "" at the ends.
	Prev, Next string
	// SyncCounts and HealthCounts are the status filters with their counts.
	SyncCounts, HealthCounts []statusCount
	// Stream is the API's event stream of these Applications; Counts the
	// API's page without Applications, for the script to recount.
	Stream, Counts string
}

// statusCount is one status with how many Applications have it.
type statusCount struct {
	Name  string
	Count int
	// On is set when the status is among the filter's values.
	On bool
	// URL is the page with the status toggled in the filter.
	URL string
}

// Statuses the list always offers, in this order; others follow as seen.
var (
	syncStatuses   = []string{"Synced", "OutOfSync", "Unknown"}
	healthStatuses = []string{"Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"}
)

func (u *UI) appsList(w http.ResponseWriter, r *http.Request, c *call) {
	f := parseListFilter(r.URL.Query())
	var p appsPage
	if err := c.get(path("/api/v1/ui/applications", nil, f.apiQuery(f.Size)), &p); err != nil {
		u.fail(w, r, c, err)
		return
	}
	u.render(w, r, c, http.StatusOK, "apps_list", "Applications", "applications", listView(f, p))
}

// listView lays out page p of the list that f asks for.
func listView(f listFilter, p appsPage) appsListView {
	v := appsListView{Filter: f, appsPage: p}
	if len(p.Items) > 0 {
		v.From = (f.Page-1)*f.Size + 1
		v.To = v.From + len(p.Items) - 1
	}
	if f.Page > 1 {
		// Past the end, "previous" leads to the last page.
		v.Prev = f.PageURL(min(f.Page-1, max(1, (p.Total+f.Size-1)/f.Size)))
	}
	if f.Page*f.Size < p.Total {
		v.Next = f.PageURL(f.Page + 1)
	}
	v.SyncCounts = statusCounts(f, "sync", syncStatuses, p.Counts.Sync)
	v.HealthCounts = statusCounts(f, "health", healthStatuses, p.Counts.Health)
	// Without a version to start from, the stream would begin with every
	// Application: the page then does without live updates.
	if p.Metadata.ResourceVersion != "" {
		v.Stream = path("/api/v1/stream/applications", nil, f.streamQuery(p.Metadata.ResourceVersion))
	}
	v.Counts = path("/api/v1/ui/applications", nil, f.apiQuery(0))
	return v
}

// statusCounts are the known statuses, then any other counted or
// filtered on, each with its count and its toggle.
func statusCounts(f listFilter, key string, known []string, counts map[string]int) []statusCount {
	names := slices.Clone(known)
	var extra []string
	for name := range counts {
		if !slices.Contains(names, name) {
			extra = append(extra, name)
		}
	}
	for _, name := range *fieldOf(&f, key) {
		if !slices.Contains(names, name) && !slices.Contains(extra, name) {
			extra = append(extra, name)
		}
	}
	slices.Sort(extra)
	out := make([]statusCount, 0, len(names)+len(extra))
	for _, name := range append(names, extra...) {
		out = append(out, statusCount{Name: name, Count: counts[name], On: f.Has(key, name), URL: f.Toggle(key, name)})
	}
	return out
}

// fieldOf is the values of the filter key.
func fieldOf(f *listFilter, key string) *[]string {
	for _, p := range listParams {
		if p.key == key {
			return p.field(f)
		}
	}
	return new([]string)
}
