package imageupdater

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/utils/clock"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// registryClient reaches one registry endpoint: every request waits for
// the registry's rate limit, a refused or overloaded request (429, 5xx)
// is retried with backoff, and answers are cached for a while.
type registryClient struct {
	ep      endpoint
	http    *http.Client
	limiter *rate.Limiter
	clock   clock.PassiveClock
	// tags caches tag lists, meta what each tag resolved to and images
	// what each digest holds, keyed by the credentials they were read
	// with, so that one Application's pull secret never lets another see
	// a private repository.
	tags   *ttlCache[[]string]
	meta   *ttlCache[tagMeta]
	images *ttlCache[tagMeta]

	credMu   sync.Mutex
	cred     *Credential
	credTill time.Time

	tokenMu sync.Mutex
	tokens  map[string]auth.Cache
}

// digestCacheTTL is how long what a digest holds is kept: it cannot
// change, the bound only lets deleted images go.
const digestCacheTTL = 24 * time.Hour

// requestObserver is told of every request made to a registry, by the
// registry's name, and whether it failed (no answer, or 4xx/5xx).
type requestObserver func(registry string, failed bool)

func newRegistryClient(ep endpoint, opts FinderOptions) (*registryClient, error) {
	transport, err := endpointTransport(ep, opts.Transport)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", ep.Name, err)
	}
	limiter := rate.NewLimiter(rate.Limit(ep.Limit), ep.Limit)
	limited := &limitedTransport{limiter: limiter, next: transport, name: ep.Name, observe: opts.OnRequest, timeout: opts.RequestTimeout}
	return &registryClient{
		ep:      ep,
		limiter: limiter,
		http:    &http.Client{Transport: &retry.Transport{Base: limited, Policy: retryPolicy}},
		clock:   opts.Clock,
		tags:    newTTLCache[[]string](opts.Clock, opts.CacheTTL, 1024),
		meta:    newTTLCache[tagMeta](opts.Clock, opts.CacheTTL, 16384),
		images:  newTTLCache[tagMeta](opts.Clock, digestCacheTTL, 16384),
		tokens:  map[string]auth.Cache{},
	}, nil
}

// endpointTransport is base with the endpoint's TLS settings: its CA
// certificates added to the system's, or no verification when insecure.
func endpointTransport(ep endpoint, base http.RoundTripper) (http.RoundTripper, error) {
	if ep.CAData == "" && !ep.Insecure {
		return base, nil
	}
	t, ok := base.(*http.Transport)
	if !ok {
		return base, nil
	}
	t = t.Clone()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.TLSClientConfig != nil {
		cfg = t.TLSClientConfig.Clone()
	}
	if ep.CAData != "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM([]byte(ep.CAData)) {
			return nil, errors.New("ca_data holds no PEM certificate")
		}
		cfg.RootCAs = pool
	}
	// The operator asked for it in registries.conf, for this registry only.
	cfg.InsecureSkipVerify = ep.Insecure //nolint:gosec
	t.TLSClientConfig = cfg
	return t, nil
}

// retryPolicy retries a request the registry answered 429 (after its
// Retry-After), 408 or 5xx, a few times with backoff. A request that got
// no answer is not retried: a registry that is down or silent fails the
// image at once rather than holding the cycle through retries.
func retryPolicy() retry.Policy {
	return &retry.GenericPolicy{
		Retryable: func(resp *http.Response, err error) (bool, error) {
			if err != nil {
				return false, err
			}
			c := resp.StatusCode
			return c == http.StatusTooManyRequests || c == http.StatusRequestTimeout || c >= 500, nil
		},
		Backoff:  retry.DefaultBackoff,
		MinWait:  200 * time.Millisecond,
		MaxWait:  3 * time.Second,
		MaxRetry: 3,
	}
}

// limitedTransport holds each request until the registry's limit allows
// it, bounds it by the request timeout from then on (so that waiting for
// the limit is not counted), and counts it.
type limitedTransport struct {
	limiter *rate.Limiter
	next    http.RoundTripper
	name    string
	observe requestObserver
	timeout time.Duration
}

func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.limiter.Wait(req.Context()); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if t.observe != nil {
		// A 401 is the first step of every authenticated exchange, not
		// a failure.
		failed := err != nil || (resp.StatusCode >= 400 && resp.StatusCode != http.StatusUnauthorized)
		t.observe(t.name, failed)
	}
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose ends a request's context once its body is read and
// closed, so that the timeout also bounds reading the body.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// access is the identity requests are made with: a credential and the
// key its cached answers are kept under.
type access struct {
	cred *Credential
	// key names the credential's source ("" when anonymous), never the
	// secret itself.
	key string
}

// repository opens path on the registry with the given access.
func (c *registryClient) repository(path string, a access) (*remote.Repository, error) {
	repo, err := remote.NewRepository(c.ep.Host + "/" + path)
	if err != nil {
		return nil, fmt.Errorf("repository %s/%s: %w", c.ep.Host, path, err)
	}
	repo.PlainHTTP = c.ep.PlainHTTP
	client := &auth.Client{Client: c.http, Cache: c.tokenCache(a.key)}
	if a.cred != nil {
		client.Credential = auth.StaticCredential(c.ep.Host, auth.Credential{Username: a.cred.Username, Password: a.cred.Password})
	}
	repo.Client = client
	return repo, nil
}

// tokenCache keeps the bearer tokens of one identity, so that tokens are
// reused across images and cycles but never across identities.
func (c *registryClient) tokenCache(key string) auth.Cache {
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	tc, ok := c.tokens[key]
	if !ok {
		tc = auth.NewCache()
		c.tokens[key] = tc
	}
	return tc
}

// registryCredential returns the registry's own credentials (nil when it
// has none), fetching them when none are cached or they expired. The
// lock makes concurrent callers share one fetch (one run of an ext:
// script).
func (c *registryClient) registryCredential(ctx context.Context, fetch credentialFetcher) (access, error) {
	if c.ep.Credentials == "" {
		return access{}, nil
	}
	src, err := ParseCredentialSource(c.ep.Credentials)
	if err != nil {
		return access{}, err
	}
	c.credMu.Lock()
	defer c.credMu.Unlock()
	now := c.clock.Now()
	if c.cred == nil || (c.ep.CredsExpire > 0 && !now.Before(c.credTill)) {
		cred, err := fetch.fetch(ctx, src, c.ep.Prefix, fromRegistriesConf)
		if err != nil {
			return access{}, err
		}
		c.cred, c.credTill = &cred, now.Add(c.ep.CredsExpire)
	}
	return access{cred: c.cred, key: "registry:" + src.String()}, nil
}

// forgetCredential drops the cached registry credentials, after the
// registry refused them.
func (c *registryClient) forgetCredential() {
	c.credMu.Lock()
	c.cred = nil
	c.credMu.Unlock()
}

// isAuthError says whether the registry refused the credentials.
func isAuthError(err error) bool {
	var resp *errcode.ErrorResponse
	return errors.As(err, &resp) && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden)
}

// listTags lists every tag of the repository, from the cache when fresh.
func (c *registryClient) listTags(ctx context.Context, path string, a access) ([]string, error) {
	key := a.key + "|" + path
	if tags, ok := c.tags.get(key); ok {
		return tags, nil
	}
	repo, err := c.repository(path, a)
	if err != nil {
		return nil, err
	}
	var tags []string
	if err := repo.Tags(ctx, "", func(page []string) error {
		tags = append(tags, page...)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	c.tags.put(key, tags)
	return tags, nil
}
