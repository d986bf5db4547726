package source

import (
	"context"
	"errors"
	"slices"
)

// Resolve returns the version of chart in repo that constraint asks for:
// the exact version when one is written, else the newest version the semver
// constraint admits ("1.2.*", ">=1.0 <2", "~1.2", "*"). A Helm repository's
// index, or an OCI repository's tag list, is read at most once per poll
// interval for every caller.
func (c *Charts) Resolve(ctx context.Context, repo Repository, chart, constraint string) (string, error) {
	repo = trusted(repo, current(c.opts.Trust))
	loc, err := locateChart(repo, chart)
	if err != nil {
		return "", err
	}
	list, err := c.list(ctx, repo, loc)
	if err != nil {
		return "", withVersion(chartError(repo, loc, constraint, nil, err), constraint)
	}
	versions, ok := list.versions[loc.Chart]
	if !ok {
		return "", chartError(repo, loc, "", ErrRevisionNotFound, nil)
	}
	names := make([]string, 0, len(versions))
	for v := range versions {
		names = append(names, v)
	}
	slices.Sort(names) // the same answer whatever the map's order
	v, err := selectVersion(names, constraint)
	if errors.Is(err, errNoMatchingVersion) {
		return "", chartError(repo, loc, constraint, ErrRevisionNotFound, nil)
	}
	if err != nil {
		return "", chartError(repo, loc, constraint, ErrRevisionNotFound, err)
	}
	return v, nil
}

// list returns what the repository at loc has, from the cache while it is
// younger than the poll interval. Concurrent callers share one download,
// which runs to its end even when the caller that started it gives up.
func (c *Charts) list(ctx context.Context, repo Repository, loc chartLocation) (chartList, error) {
	key := c.listKey(repo, loc)
	if cached, ok := c.freshList(key); ok {
		return cached, nil
	}
	ch := c.listGroup.DoChan(key, func() (any, error) {
		// A download that ended between the check above and this flight
		// has just refreshed the list.
		if cached, ok := c.freshList(key); ok {
			return cached, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.Timeout)
		defer cancel()
		var list chartList
		var err error
		if loc.OCI {
			list, err = c.fetchTags(fctx, repo, loc)
		} else {
			list, err = c.fetchIndex(fctx, repo, loc, key)
			if err != nil {
				err = chartError(repo, loc, "", classifyHTTP(err, ErrRepositoryNotFound), err)
			}
		}
		if err != nil {
			return chartList{}, err
		}
		c.mu.Lock()
		c.lists[key] = list
		c.mu.Unlock()
		return list, nil
	})
	select {
	case <-ctx.Done():
		return chartList{}, ctx.Err()
	case res := <-ch:
		if res.Err != nil {
			return chartList{}, res.Err
		}
		return res.Val.(chartList), nil
	}
}

// freshList returns the cached list of key while it is younger than the
// poll interval.
func (c *Charts) freshList(key string) (chartList, bool) {
	c.mu.Lock()
	cached, ok := c.lists[key]
	c.mu.Unlock()
	return cached, ok && c.opts.Clock.Since(cached.fetched) < c.opts.PollInterval
}

// listKey identifies one listing: the index of a Helm repository or the tag
// list of an OCI repository, as one identity sees it, so that what one
// credential may read, or a failure, is never served to another.
func (c *Charts) listKey(repo Repository, loc chartLocation) string {
	return listPrefix(loc) + c.ids.of(repo)
}

// withVersion names version in a ChartError built by a listing shared by
// callers that asked for different versions.
func withVersion(err error, version string) error {
	var ce *ChartError
	if !errors.As(err, &ce) || ce.Version != "" {
		return err
	}
	named := *ce
	named.Version = version
	return &named
}
