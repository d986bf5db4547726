package source

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"

	"helm.sh/helm/v3/pkg/registry"
)

// ociClient is Helm's registry client for one operation on repo, with the
// transport that binds it to ctx and observes its answers.
func (c *Charts) ociClient(ctx context.Context, repo Repository) (*registry.Client, *observingTransport, error) {
	base, err := chartTransport(repo)
	if err != nil {
		return nil, nil, err
	}
	obs := &observingTransport{ctx: ctx, base: base}
	opts := []registry.ClientOption{
		registry.ClientOptHTTPClient(&http.Client{Transport: obs}),
		// A file of capstan's own rather than the Helm user's logins;
		// credentials come from the repository Secret.
		registry.ClientOptCredentialsFile(filepath.Join(c.opts.CacheDir, chartCredentials)),
	}
	if repo.InsecureOCIForceHTTP {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	if repo.Username != "" && repo.Password != "" {
		opts = append(opts, registry.ClientOptBasicAuth(repo.Username, repo.Password))
	}
	client, err := registry.NewClient(opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("registry client: %w", err)
	}
	return client, obs, nil
}

// fetchTags lists the versions of the chart at loc: the semver tags of its
// OCI repository, "+" restored where the registry has "_".
func (c *Charts) fetchTags(ctx context.Context, repo Repository, loc chartLocation) (chartList, error) {
	client, obs, err := c.ociClient(ctx, repo)
	if err != nil {
		return chartList{}, err
	}
	tags, err := client.Tags(loc.Ref)
	if err != nil {
		return chartList{}, chartError(repo, loc, "", obs.kind(err, ErrRevisionNotFound), fmt.Errorf("list tags: %w", err))
	}
	vs := make(map[string][]string, len(tags))
	for _, t := range tags {
		vs[t] = nil
	}
	return chartList{fetched: c.opts.Clock.Now(), versions: map[string]map[string][]string{loc.Chart: vs}}, nil
}

// pullOCI downloads the chart archive of version from the registry.
func (c *Charts) pullOCI(ctx context.Context, repo Repository, loc chartLocation, version string) ([]byte, error) {
	client, obs, err := c.ociClient(ctx, repo)
	if err != nil {
		return nil, err
	}
	res, err := client.Pull(loc.Ref+":"+version, registry.PullOptWithChart(true))
	if err != nil {
		return nil, chartError(repo, loc, version, obs.kind(err, ErrRevisionNotFound), fmt.Errorf("pull: %w", err))
	}
	return res.Chart.Data, nil
}
