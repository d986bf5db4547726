package server

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/appcache"
	"github.com/capstan-cd/capstan/internal/project"
	"github.com/capstan-cd/capstan/internal/source"
)

// appQuery is what a list or a stream of Applications asks for, read from
// the query string as Argo CD's gateway reads ApplicationQuery.
type appQuery struct {
	// Name keeps only the Application of that name (the stream's filter).
	Name string
	// Projects keeps the Applications of these projects; empty keeps all.
	Projects []string
	// Selector keeps the Applications whose labels it matches.
	Selector labels.Selector
	// Search keeps the Applications whose name contains it.
	Search string
	// Repo keeps the Applications with a source from that repository.
	Repo string
	// AppNamespace is the namespace asked for; empty means the control plane's.
	AppNamespace string
	// MinVersion leaves out Applications older than a resourceVersion the
	// stream's client has already seen; 0 means none.
	MinVersion int64
	// Fields lists the paths of the answer to keep; empty keeps everything.
	Fields []string
}

// appListQuery are the query parameters parseAppQuery reads for a list;
// a stream reads name and resourceVersion too.
var appListQuery = []string{"projects", "project", "selector", "search", "repo", "appNamespace", "fields"}

// parseAppQuery reads q. `projects` may repeat or list several projects
// separated by commas; `project` is its older spelling.
func parseAppQuery(q url.Values) (appQuery, error) {
	out := appQuery{Name: q.Get("name"), Search: q.Get("search"), Repo: q.Get("repo"), AppNamespace: q.Get("appNamespace")}
	for _, key := range []string{"projects", "project"} {
		out.Projects = append(out.Projects, splitList(q[key])...)
	}
	sel, err := labels.Parse(q.Get("selector"))
	if err != nil {
		return appQuery{}, fmt.Errorf("selector %q: %w", q.Get("selector"), err)
	}
	out.Selector = sel
	if rv := q.Get("resourceVersion"); rv != "" {
		// An unreadable version filters nothing, as in Argo CD.
		out.MinVersion, _ = strconv.ParseInt(rv, 10, 64)
	}
	out.Fields = splitList(q["fields"])
	return out, nil
}

// splitList flattens repeated, comma-separated values, dropping blanks.
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// matches reports whether app passes the query's filters; the caller's
// permission is checked apart.
func (q appQuery) matches(app *appcache.Application) bool {
	switch {
	case q.Name != "" && app.Name != q.Name:
		return false
	case len(q.Projects) > 0 && !slices.Contains(q.Projects, projectName(&app.Spec)):
		return false
	case q.Search != "" && !strings.Contains(app.Name, q.Search):
		return false
	case q.Selector != nil && !q.Selector.Matches(labels.Set(app.Labels)):
		return false
	case q.Repo != "" && !readsRepo(app, q.Repo):
		return false
	case q.MinVersion > 0 && olderThan(app.ResourceVersion, q.MinVersion):
		return false
	}
	return true
}

// olderThan reports whether resourceVersion is a number below min.
func olderThan(resourceVersion string, min int64) bool {
	v, err := strconv.ParseInt(resourceVersion, 10, 64)
	return err == nil && v < min
}

// readsRepo reports whether one of app's sources is the repository repo,
// however its URL is spelt.
func readsRepo(app *appcache.Application, repo string) bool {
	want := source.NormalizeURL(repo)
	for _, src := range app.Spec.GetSources() {
		if source.NormalizeURL(src.RepoURL) == want {
			return true
		}
	}
	return false
}

// projectOf is the project app belongs to: "default" when it names none.
func projectOf(app *v1alpha1.Application) string { return projectName(&app.Spec) }

// projectName is the project of an Application of spec.
func projectName(spec *v1alpha1.ApplicationSpec) string {
	if spec.Project == "" {
		return project.Default
	}
	return spec.Project
}

// rbacObject is the object of an RBAC rule about app: "<project>/<name>".
func rbacObject(app *v1alpha1.Application) string {
	return projectOf(app) + "/" + app.Name
}

// cachedRBACObject is rbacObject of a cached Application.
func cachedRBACObject(app *appcache.Application) string {
	return projectName(&app.Spec) + "/" + app.Name
}
