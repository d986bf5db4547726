package source

import (
	"fmt"
	"strings"
)

// chartLocation is where a chart lives: an OCI repository or a chart in a
// Helm repository's index.
type chartLocation struct {
	// OCI is true for a chart in an OCI registry.
	OCI bool
	// Ref is the OCI repository of the chart, "host[:port]/path/chart",
	// without scheme or tag. Empty for a Helm repository.
	Ref string
	// IndexURL is the Helm repository's base URL. Empty for OCI.
	IndexURL string
	// Chart is the chart's name as written in spec.source.chart.
	Chart string
}

// ociScheme prefixes an OCI registry URL in spec.source.repoURL.
const ociScheme = "oci://"

// locateChart tells where chart lives in repo. Argo CD accepts an OCI
// registry written either as oci://host/path, or as host/path without a
// scheme on a repository with enableOCI; both are taken here.
func locateChart(repo Repository, chart string) (chartLocation, error) {
	chart = strings.Trim(strings.TrimSpace(chart), "/")
	if chart == "" {
		return chartLocation{}, fmt.Errorf("repository %s: no chart name given", RedactURL(repo.URL))
	}
	url := strings.TrimSpace(repo.URL)
	rest, isOCI := cutPrefixFold(url, ociScheme)
	if !isOCI && !strings.Contains(url, "://") {
		if !repo.EnableOCI {
			return chartLocation{}, fmt.Errorf("repository %s has no scheme: write oci:// or set enableOCI for an OCI registry", RedactURL(url))
		}
		rest, isOCI = url, true
	}
	if isOCI {
		rest = strings.Trim(rest, "/")
		if rest == "" {
			return chartLocation{}, fmt.Errorf("repository %s names no registry", RedactURL(url))
		}
		return chartLocation{OCI: true, Ref: rest + "/" + chart, Chart: chart}, nil
	}
	if !strings.HasPrefix(strings.ToLower(url), "http://") && !strings.HasPrefix(strings.ToLower(url), "https://") {
		return chartLocation{}, fmt.Errorf("repository %s: a Helm repository is reached over http:// or https://", RedactURL(url))
	}
	return chartLocation{IndexURL: strings.TrimSuffix(url, "/"), Chart: chart}, nil
}

// cutPrefixFold is strings.CutPrefix ignoring ASCII case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// String names the repository for messages, without credentials.
func (l chartLocation) String() string {
	if l.OCI {
		repo, _ := strings.CutSuffix(l.Ref, "/"+l.Chart)
		return ociScheme + repo
	}
	return RedactURL(l.IndexURL)
}
