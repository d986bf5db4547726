package source

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"helm.sh/helm/v3/pkg/getter"
)

// httpGetter is the getter.Getter Helm's repository code downloads through:
// it carries the caller's context, the repository's TLS settings, and
// returns an *httpStatusError for an answer other than 200, so that a
// refused credential can be told from a missing file. Helm's options
// passed to Get are ignored: the repository fixes them all.
type httpGetter struct {
	ctx    context.Context
	client *http.Client
	repo   Repository
	// base is the repository URL: credentials go to its scheme and host only.
	base *url.URL
}

var _ getter.Getter = (*httpGetter)(nil)

func newHTTPGetter(ctx context.Context, repo Repository, base string) (*httpGetter, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("repository %s: invalid URL", RedactURL(base))
	}
	t, err := chartTransport(repo)
	if err != nil {
		return nil, err
	}
	return &httpGetter{ctx: ctx, client: &http.Client{Transport: t}, repo: repo, base: u}, nil
}

// providers lets Helm's ChartRepository reach http and https URLs through g.
func (g *httpGetter) providers() getter.Providers {
	return getter.Providers{{
		Schemes: []string{"http", "https"},
		New:     func(...getter.Option) (getter.Getter, error) { return g, nil },
	}}
}

// Get downloads href.
func (g *httpGetter) Get(href string, _ ...getter.Option) (*bytes.Buffer, error) {
	req, err := http.NewRequestWithContext(g.ctx, http.MethodGet, href, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", RedactURL(href), err)
	}
	req.Header.Set("User-Agent", "capstan")
	if g.sameServer(req.URL) {
		g.authorize(req)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &httpStatusError{URL: RedactURL(href), Status: resp.Status, Code: resp.StatusCode}
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, resp.Body); err != nil {
		return nil, fmt.Errorf("GET %s: %w", RedactURL(href), err)
	}
	return &buf, nil
}

// sameServer reports whether u is on the repository's scheme, host and
// port: an index may point at archives elsewhere, which get no credentials.
func (g *httpGetter) sameServer(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, g.base.Scheme) && strings.EqualFold(u.Host, g.base.Host)
}

func (g *httpGetter) authorize(req *http.Request) {
	switch {
	case g.repo.Username != "" || g.repo.Password != "":
		req.SetBasicAuth(g.repo.Username, g.repo.Password)
	case g.repo.BearerToken != "":
		req.Header.Set("Authorization", "Bearer "+g.repo.BearerToken)
	}
}
