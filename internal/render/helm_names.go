package render

import (
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
)

// checkDependencyNames refuses a chart whose dependencies, in Chart.yaml
// or Chart.lock, have a name, alias or version that could name a path
// rather than one file: names and versions become file names in the chart
// cache, and a `../` in one would write outside it. It runs before any
// dependency is fetched or written.
func checkDependencyNames(ch *chart.Chart) error {
	for _, dep := range ch.Metadata.Dependencies {
		if dep == nil {
			continue
		}
		if err := checkDependencyName(dep.Name, dep.Alias, dep.Version); err != nil {
			return fmt.Errorf("Chart.yaml: %w", err)
		}
	}
	if ch.Lock != nil {
		for _, dep := range ch.Lock.Dependencies {
			if dep == nil {
				continue
			}
			if err := checkDependencyName(dep.Name, dep.Alias, dep.Version); err != nil {
				return fmt.Errorf("Chart.lock: %w", err)
			}
		}
	}
	return nil
}

func checkDependencyName(name, alias, version string) error {
	switch {
	case !pathElement(name):
		return fmt.Errorf("dependency name %q is not a plain name", name)
	case alias != "" && !pathElement(alias):
		return fmt.Errorf("dependency %s: alias %q is not a plain name", name, alias)
	case version != "" && !pathElement(version):
		return fmt.Errorf("dependency %s: version %q is not a plain version", name, version)
	}
	return nil
}

// pathElement tells whether s can only ever be one element of a path:
// not empty, no separator, no `..`, nothing a file name cannot hold.
func pathElement(s string) bool {
	return s != "" && s != "." && !strings.Contains(s, "..") && !strings.ContainsAny(s, "/\\\x00")
}
