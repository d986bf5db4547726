package server

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"

	"github.com/capstan-cd/capstan/internal/appcache"
)

// Page sizes of the dashboard's list of Applications.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
	// maxOptions bounds each list of values the page offers its filters.
	maxOptions = 200
)

// pageQuery is what the dashboard's list asks for: the list's filters,
// filters on status and destination, each taking several values (any of
// which matches), and a page of the result.
type pageQuery struct {
	appQuery
	// Repos keeps the Applications with a source from any of them.
	Repos []string
	// Sync and Health keep the Applications in any of these states;
	// an Application without one is "Unknown".
	Sync, Health []string
	// Clusters keeps the Applications whose destination's server or name
	// is one of them.
	Clusters []string
	// Namespaces keeps the Applications deploying into one of them.
	Namespaces []string
	// Page counts from 1; Size 0 asks for the counts alone.
	Page, Size int
}

// pageQueryParams are the query parameters parsePageQuery reads.
var pageQueryParams = []string{"projects", "project", "selector", "search", "repo", "sync", "health", "cluster", "namespace", "page", "size"}

// parsePageQuery reads q. Every filter but search and selector may repeat
// or list several values separated by commas.
func parsePageQuery(q url.Values) (pageQuery, error) {
	base, err := parseAppQuery(url.Values{"projects": q["projects"], "project": q["project"], "selector": q["selector"], "search": q["search"]})
	if err != nil {
		return pageQuery{}, err
	}
	out := pageQuery{appQuery: base, Repos: splitList(q["repo"]), Sync: splitList(q["sync"]), Health: splitList(q["health"]),
		Clusters: splitList(q["cluster"]), Namespaces: splitList(q["namespace"]), Page: 1, Size: defaultPageSize}
	for _, n := range []struct {
		key      string
		to       *int
		min, max int
	}{{"page", &out.Page, 1, 1 << 30}, {"size", &out.Size, 0, maxPageSize}} {
		v := q.Get(n.key)
		if v == "" {
			continue
		}
		i, err := strconv.Atoi(v)
		if err != nil || i < n.min || i > n.max {
			return pageQuery{}, fmt.Errorf("%s %q: want a number from %d to %d", n.key, v, n.min, n.max)
		}
		*n.to = i
	}
	return out, nil
}

// appPage is the answer of the dashboard's list: one page of summaries,
// how many Applications match, and counts by status.
type appPage struct {
	Metadata struct {
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
	Items []appSummary `json:"items"`
	// Total is how many Applications pass every filter.
	Total int `json:"total"`
	// Visible is how many Applications the caller may get, unfiltered.
	Visible int `json:"visible"`
	Page    int `json:"page"`
	Size    int `json:"size"`
	// Counts are by sync status and by health. Each counts the
	// Applications that pass every filter but its own: the sync counts
	// say how many each sync filter would show.
	Counts struct {
		Sync   map[string]int `json:"sync"`
		Health map[string]int `json:"health"`
	} `json:"counts"`
	// Options are the values the caller's Applications have, for the
	// filters to offer; at most maxOptions each.
	Options struct {
		Projects   []string `json:"projects"`
		Clusters   []string `json:"clusters"`
		Namespaces []string `json:"namespaces"`
	} `json:"options"`
}

// appSummary is what the dashboard shows of an Application in its list.
type appSummary struct {
	Name           string `json:"name"`
	Namespace      string `json:"namespace"`
	Project        string `json:"project"`
	Repo           string `json:"repo,omitempty"`
	Path           string `json:"path,omitempty"`
	Chart          string `json:"chart,omitempty"`
	TargetRevision string `json:"targetRevision,omitempty"`
	// Sources is how many sources the Application has.
	Sources int `json:"sources"`
	// Cluster is the destination's name, else its server.
	Cluster        string `json:"cluster"`
	DestNamespace  string `json:"destNamespace,omitempty"`
	Sync           string `json:"sync"`
	Health         string `json:"health"`
	Revision       string `json:"revision,omitempty"`
	OperationPhase string `json:"operationPhase,omitempty"`
}

// pageOf filters apps (sorted, all the caller may get), counts them and
// cuts out the page q asks for.
func pageOf(apps []*appcache.Application, q pageQuery) appPage {
	var p appPage
	p.Page, p.Size, p.Visible = q.Page, q.Size, len(apps)
	p.Counts.Sync, p.Counts.Health = map[string]int{}, map[string]int{}
	p.Items = []appSummary{}
	first := (q.Page - 1) * q.Size
	projects, clusters, namespaces := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, app := range apps {
		projects[projectName(&app.Spec)] = true
		clusters[clusterOf(app)] = true
		if ns := app.Spec.Destination.Namespace; ns != "" {
			namespaces[ns] = true
		}
		if !q.matchesBase(app) {
			continue
		}
		sync, health := syncOf(app), healthOf(app)
		syncOK := len(q.Sync) == 0 || slices.Contains(q.Sync, sync)
		healthOK := len(q.Health) == 0 || slices.Contains(q.Health, health)
		if healthOK {
			p.Counts.Sync[sync]++
		}
		if syncOK {
			p.Counts.Health[health]++
		}
		if !syncOK || !healthOK {
			continue
		}
		if p.Total >= first && p.Total < first+q.Size {
			p.Items = append(p.Items, summarize(app))
		}
		p.Total++
	}
	p.Options.Projects, p.Options.Clusters, p.Options.Namespaces = options(projects), options(clusters), options(namespaces)
	return p
}

// matchesBase reports whether app passes every filter but those on its
// status.
func (q pageQuery) matchesBase(app *appcache.Application) bool {
	switch {
	case !q.appQuery.matches(app):
		return false
	case len(q.Repos) > 0 && !slices.ContainsFunc(q.Repos, func(r string) bool { return readsRepo(app, r) }):
		return false
	case len(q.Clusters) > 0 && !slices.Contains(q.Clusters, app.Spec.Destination.Server) && !slices.Contains(q.Clusters, app.Spec.Destination.Name):
		return false
	case len(q.Namespaces) > 0 && !slices.Contains(q.Namespaces, app.Spec.Destination.Namespace):
		return false
	}
	return true
}

// options are the keys of set, sorted, at most maxOptions.
func options(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out[:min(len(out), maxOptions)]
}

// syncOf is app's sync status, "Unknown" when it has none yet.
func syncOf(app *appcache.Application) string {
	if s := string(app.Brief.Sync); s != "" {
		return s
	}
	return "Unknown"
}

// healthOf is app's health, "Unknown" when it has none yet.
func healthOf(app *appcache.Application) string {
	if s := string(app.Brief.Health); s != "" {
		return s
	}
	return "Unknown"
}

// clusterOf names app's destination cluster: its name, else its server.
func clusterOf(app *appcache.Application) string {
	if app.Spec.Destination.Name != "" {
		return app.Spec.Destination.Name
	}
	return app.Spec.Destination.Server
}

// summarize is what the list shows of app.
func summarize(app *appcache.Application) appSummary {
	s := appSummary{
		Name: app.Name, Namespace: app.Namespace, Project: projectName(&app.Spec),
		Cluster: clusterOf(app), DestNamespace: app.Spec.Destination.Namespace,
		Sync: syncOf(app), Health: healthOf(app), Revision: app.Brief.Revision,
		OperationPhase: string(app.Brief.OperationPhase),
	}
	sources := app.Spec.GetSources()
	s.Sources = len(sources)
	if len(sources) > 0 {
		src := sources[0]
		s.Repo, s.Path, s.Chart, s.TargetRevision = src.RepoURL, src.Path, src.Chart, src.TargetRevision
	}
	return s
}
