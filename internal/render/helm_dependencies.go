package render

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
)

// remoteCharts gives a render the chart of a dependency declared on a Helm
// repository or an OCI registry, at a version or version range.
type remoteCharts interface {
	chart(ctx context.Context, repoURL, name, version string) (*chart.Chart, error)
}

// addMissingDependencies completes ch with the dependencies its Chart.yaml
// declares but its charts/ directory does not hold, the way `helm
// dependency build` would, without writing into the user's tree: charts
// from repositories come from f, `file://` charts are loaded where they
// are (inside root). Vendored charts are used as they are. Helm applies
// condition, tags and alias afterwards. It returns the files read from
// root.
func addMissingDependencies(ctx context.Context, f remoteCharts, root *tree, dir string, ch *chart.Chart) ([]string, error) {
	vendored := map[string]bool{}
	for _, sub := range ch.Dependencies() {
		vendored[sub.Name()] = true
	}
	// added holds name@version of the fetched charts: two aliases of one
	// chart at one version need it once.
	added := map[string]bool{}
	var inputs []string
	for i, dep := range ch.Metadata.Dependencies {
		if vendored[dep.Name] {
			continue
		}
		sub, read, err := loadDependency(ctx, f, root, dir, dep, lockedVersion(ch.Lock, i, dep))
		if err != nil {
			return nil, fmt.Errorf("dependency %s: %w", dep.Name, err)
		}
		if sub.Name() != dep.Name {
			return nil, fmt.Errorf("dependency %s: %s holds chart %s", dep.Name, redactURL(dep.Repository), sub.Name())
		}
		inputs = append(inputs, read...)
		if id := sub.Name() + "@" + sub.Metadata.Version; !added[id] {
			added[id] = true
			ch.AddDependency(sub)
		}
	}
	return inputs, nil
}

// loadDependency loads one declared dependency from its repository.
func loadDependency(ctx context.Context, f remoteCharts, root *tree, dir string, dep *chart.Dependency, locked string) (*chart.Chart, []string, error) {
	repoURL := dep.Repository
	switch {
	case repoURL == "":
		return nil, nil, fmt.Errorf("not in charts/ and declared without a repository")
	case strings.HasPrefix(repoURL, "file://"):
		return loadLocalDependency(ctx, f, root, dir, strings.TrimPrefix(repoURL, "file://"))
	case strings.HasPrefix(repoURL, "@"), strings.HasPrefix(repoURL, "alias:"):
		return nil, nil, fmt.Errorf("repository %s names a repository alias of a local Helm configuration; write its URL", repoURL)
	}
	version := dep.Version
	if locked != "" {
		version = locked
	}
	sub, err := f.chart(ctx, repoURL, dep.Name, version)
	return sub, nil, err
}

// loadLocalDependency loads a `file://` dependency: a chart directory
// relative to the depending chart, which must stay inside the repository.
func loadLocalDependency(ctx context.Context, f remoteCharts, root *tree, dir, rel string) (*chart.Chart, []string, error) {
	path := filepath.Join(dir, filepath.FromSlash(rel))
	if filepath.IsAbs(rel) || !inside(root.path, path) {
		return nil, nil, fmt.Errorf("file://%s: path %w", rel, errEscapes)
	}
	sub, inputs, err := loadChart(root, path)
	if err != nil {
		return nil, nil, fmt.Errorf("file://%s: %w", rel, err)
	}
	if err := checkDependencyNames(sub); err != nil {
		return nil, nil, fmt.Errorf("file://%s: %w", rel, err)
	}
	more, err := addMissingDependencies(ctx, f, root, path, sub)
	if err != nil {
		return nil, nil, err
	}
	return sub, append(inputs, more...), nil
}

// lockedVersion is the version Chart.lock pins for the i-th dependency of
// Chart.yaml, or "" when there is no lock or it does not match: Helm
// writes one entry per dependency, in the same order.
func lockedVersion(lock *chart.Lock, i int, dep *chart.Dependency) string {
	if lock == nil || i >= len(lock.Dependencies) {
		return ""
	}
	l := lock.Dependencies[i]
	if l.Name != dep.Name || l.Repository != dep.Repository {
		return ""
	}
	return l.Version
}

// redactURL drops any password written into a URL before it reaches an
// error message.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}
