package source

import (
	"context"
	"fmt"
	"path/filepath"

	"helm.sh/helm/v3/pkg/repo"
)

// fetchIndex downloads the index.yaml of the Helm repository at loc through
// Helm's ChartRepository and returns every chart's versions with their
// archive URLs.
// The index file is cached under name.
func (c *Charts) fetchIndex(ctx context.Context, r Repository, loc chartLocation, name string) (chartList, error) {
	g, err := newHTTPGetter(ctx, r, loc.IndexURL)
	if err != nil {
		return chartList{}, err
	}
	cr, err := repo.NewChartRepository(&repo.Entry{Name: name, URL: loc.IndexURL}, g.providers())
	if err != nil {
		return chartList{}, fmt.Errorf("read index: %w", err)
	}
	cr.CachePath = filepath.Join(c.opts.CacheDir, chartIndexDir)
	path, err := cr.DownloadIndexFile()
	if err != nil {
		return chartList{}, fmt.Errorf("read index: %w", err)
	}
	index, err := repo.LoadIndexFile(path)
	if err != nil {
		return chartList{}, fmt.Errorf("read index: %w", err)
	}
	list := chartList{fetched: c.opts.Clock.Now(), versions: make(map[string]map[string][]string, len(index.Entries))}
	for name, cvs := range index.Entries {
		vs := make(map[string][]string, len(cvs))
		for _, cv := range cvs {
			if cv.Metadata != nil {
				vs[cv.Version] = cv.URLs
			}
		}
		list.versions[name] = vs
	}
	return list, nil
}

// archiveURL returns the absolute URL of chart's archive at version, which
// an index may give relative to the repository.
func archiveURL(list chartList, loc chartLocation, version string) (string, bool, error) {
	urls := list.versions[loc.Chart][version]
	if len(urls) == 0 {
		return "", false, nil
	}
	u, err := repo.ResolveReferenceURL(loc.IndexURL, urls[0])
	if err != nil {
		return "", true, fmt.Errorf("archive URL %q: %w", urls[0], err)
	}
	return u, true, nil
}
