package server

import (
	"context"
	"strconv"

	"github.com/capstan-cd/capstan/internal/appcache"
)

// cachedApps are the Applications of the API's namespace in name order,
// as the cache holds them (their status packed, see appcache), with the
// newest resourceVersion among them. With an index they are the cache's
// own objects: shared, never to be changed, and neither copied nor
// sorted again for each list. Without, they are copies the client lists.
func (a *API) cachedApps(ctx context.Context) ([]*appcache.Application, string, error) {
	if a.Apps != nil {
		apps, newest, err := a.Apps.List(ctx)
		return apps, formatVersion(newest), err
	}
	apps, version, err := appcache.ListCopies(ctx, a.Client, a.Namespace)
	if err != nil {
		return nil, "", err
	}
	appcache.SortByName(apps)
	if version == "" {
		var newest int64
		for _, app := range apps {
			newest = max(newest, appcache.VersionOf(app))
		}
		version = formatVersion(newest)
	}
	return apps, version, nil
}

// formatVersion is a resourceVersion, "" for none.
func formatVersion(v int64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatInt(v, 10)
}
