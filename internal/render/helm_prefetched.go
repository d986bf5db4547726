package render

import (
	"context"
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Dependency is a chart a Helm render takes from a Helm repository or an
// OCI registry: declared in the Chart.yaml of the source's chart, or of a
// `file://` dependency of it, and not vendored in its charts/.
type Dependency struct {
	// Name and Repository as declared; Version as Chart.lock pins it, else
	// as declared (a version or a range).
	Name, Repository, Version string
}

// Key names the dependency in Request.Dependencies.
func (d Dependency) Key() string {
	return strings.TrimSuffix(d.Repository, "/") + " " + d.Name + " " + d.Version
}

// Dependencies lists the chart dependencies that the render of req takes
// from repositories; none for a source that is not Helm. It fetches
// nothing: the caller fetches them, with each repository's credentials and
// once it has checked them against the Application's project, and hands
// them to the render in req.Dependencies. A source the render would fail
// on lists none; the render reports why.
func Dependencies(ctx context.Context, req Request) ([]Dependency, error) {
	t, dir, typ, err := sourceTree(req)
	if err != nil || t == nil {
		return nil, nil
	}
	defer t.close()
	if typ != v1alpha1.ApplicationSourceTypeHelm {
		return nil, nil
	}
	ch, _, err := loadChart(t, dir)
	if err != nil || checkDependencyNames(ch) != nil {
		return nil, nil
	}
	l := &dependencyList{}
	if _, err := addMissingDependencies(ctx, l, t, dir, ch); err != nil {
		return nil, fmt.Errorf("helm chart %s: %w", ch.Name(), err)
	}
	return l.deps, nil
}

// dependencyList records the remote dependencies a render asks for, and
// answers each with an empty chart of its name so that the walk goes on.
type dependencyList struct {
	deps []Dependency
}

func (l *dependencyList) chart(_ context.Context, repoURL, name, version string) (*chart.Chart, error) {
	if err := checkDependencyName(name, "", version); err != nil {
		return nil, err
	}
	d := Dependency{Name: name, Repository: repoURL, Version: version}
	for _, seen := range l.deps {
		if seen.Key() == d.Key() {
			return emptyChart(name, version), nil
		}
	}
	l.deps = append(l.deps, d)
	return emptyChart(name, version), nil
}

func emptyChart(name, version string) *chart.Chart {
	return &chart.Chart{Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: name, Version: version}}
}

// prefetched gives a render the dependencies its caller fetched: the
// directory of each pulled chart by Dependency.Key.
type prefetched map[string]string

func (p prefetched) chart(_ context.Context, repoURL, name, version string) (*chart.Chart, error) {
	dir, ok := p[Dependency{Name: name, Repository: repoURL, Version: version}.Key()]
	if !ok {
		return nil, fmt.Errorf("chart %s %s from %s was not fetched before the render", name, version, redactURL(repoURL))
	}
	t, err := openTree(dir)
	if err != nil {
		return nil, err
	}
	defer t.close()
	// What a repository served is loaded through the same confined view as
	// a source; its files are not inputs of the render (the caller keys
	// the cache by the pulled directory).
	sub, _, err := loadChart(t, t.path)
	if err != nil {
		return nil, fmt.Errorf("load chart %s %s from %s: %w", name, version, redactURL(repoURL), err)
	}
	return sub, nil
}
