package render

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/repo"
)

// chartFetcher downloads chart archives from Helm repositories and OCI
// registries into a cache directory, where they are kept by repository,
// name and version so that a pinned version is fetched once.
type chartFetcher struct {
	// cacheDir keeps archives between renders under cacheDir/helm; empty
	// means a temporary directory, made on the first fetch and removed by
	// close.
	cacheDir string
	tempDir  string
	// credentials returns the user and password for a repository URL; nil
	// means anonymous.
	credentials func(repoURL string) (username, password string)
	// passCredentials sends the repository's credentials to chart URLs on
	// another host too, as Helm's --pass-credentials does.
	passCredentials bool
}

// root returns the cache directory, making it on first use.
func (f *chartFetcher) root() (string, error) {
	if f.cacheDir != "" {
		return filepath.Join(f.cacheDir, "helm"), nil
	}
	if f.tempDir == "" {
		dir, err := os.MkdirTemp("", "capstan-helm-")
		if err != nil {
			return "", fmt.Errorf("create chart cache: %w", err)
		}
		f.tempDir = dir
	}
	return f.tempDir, nil
}

// close removes the temporary cache, if one was made.
func (f *chartFetcher) close() {
	if f.tempDir != "" {
		os.RemoveAll(f.tempDir)
	}
}

// fetch returns the path of the archive of chart name at version (a
// version or a semver constraint) from the repository at repoURL.
func (f *chartFetcher) fetch(ctx context.Context, repoURL, name, version string) (string, error) {
	if err := checkDependencyName(name, "", version); err != nil {
		return "", err
	}
	root, err := f.root()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, repoKey(strings.TrimSuffix(repoURL, "/")))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create chart cache %s: %w", dir, err)
	}
	if exactVersion.MatchString(version) {
		cached, err := cachedChartPath(dir, name, strings.TrimPrefix(version, "v"))
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(cached); err == nil {
			return cached, nil
		}
	}
	var path string
	switch {
	case strings.HasPrefix(repoURL, "oci://"):
		path, err = f.pullOCI(repoURL, dir, name, version)
	case strings.HasPrefix(repoURL, "https://"), strings.HasPrefix(repoURL, "http://"):
		path, err = f.fetchHTTP(ctx, repoURL, dir, name, version)
	default:
		err = fmt.Errorf("unsupported repository URL scheme")
	}
	if err != nil {
		return "", fmt.Errorf("fetch chart %s %s from %s: %w", name, version, redactURL(repoURL), err)
	}
	return path, nil
}

// chart fetches the chart and loads it.
func (f *chartFetcher) chart(ctx context.Context, repoURL, name, version string) (*chart.Chart, error) {
	archive, err := f.fetch(ctx, repoURL, name, version)
	if err != nil {
		return nil, err
	}
	sub, err := loader.Load(archive)
	if err != nil {
		return nil, fmt.Errorf("load chart fetched from %s: %w", redactURL(repoURL), err)
	}
	return sub, nil
}

// exactVersion matches a plain semantic version, as opposed to a range.
var exactVersion = regexp.MustCompile(`^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

func (f *chartFetcher) creds(repoURL string) (string, string) {
	if f.credentials == nil {
		return "", ""
	}
	return f.credentials(repoURL)
}

// fetchHTTP reads the repository's index.yaml, picks the newest version
// that satisfies version, downloads its archive and checks its digest.
func (f *chartFetcher) fetchHTTP(ctx context.Context, repoURL, dir, name, version string) (string, error) {
	user, pass := f.creds(repoURL)
	index, err := f.get(ctx, strings.TrimSuffix(repoURL, "/")+"/index.yaml", user, pass)
	if err != nil {
		return "", err
	}
	indexPath := filepath.Join(dir, "index.yaml")
	if err := writeFileAtomic(indexPath, index); err != nil {
		return "", err
	}
	idx, err := repo.LoadIndexFile(indexPath)
	if err != nil {
		return "", fmt.Errorf("read index.yaml: %w", err)
	}
	cv, err := idx.Get(name, version)
	if err != nil {
		return "", fmt.Errorf("no version of the chart matches: %w", err)
	}
	if len(cv.URLs) == 0 {
		return "", fmt.Errorf("index.yaml lists %s %s without a URL", name, cv.Version)
	}
	path, err := cachedChartPath(dir, name, cv.Version)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	chartURL, err := repo.ResolveReferenceURL(repoURL, cv.URLs[0])
	if err != nil {
		return "", fmt.Errorf("chart URL %s: %w", cv.URLs[0], err)
	}
	if !sameHost(repoURL, chartURL) && !f.passCredentials {
		user, pass = "", ""
	}
	data, err := f.get(ctx, chartURL, user, pass)
	if err != nil {
		return "", err
	}
	if cv.Digest != "" {
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != cv.Digest {
			return "", fmt.Errorf("%s: digest %s, index.yaml says %s", redactURL(chartURL), got, cv.Digest)
		}
	}
	return path, writeFileAtomic(path, data)
}

// get downloads url with basic auth when user is set. Errors name the URL
// without any credentials it may embed.
func (f *chartFetcher) get(ctx context.Context, rawURL, user, pass string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", redactURL(rawURL), err)
	}
	if user != "" || pass != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", redactURL(rawURL), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		hint := ""
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			hint = ": check the repository's credentials"
		}
		return nil, fmt.Errorf("get %s: %s%s", redactURL(rawURL), resp.Status, hint)
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", redactURL(rawURL), err)
	}
	return data, nil
}

// pullOCI pulls chart name from the registry repository under repoURL
// (oci://host/path), resolving a version range against its tags. Loopback
// registries are spoken to over plain HTTP, as test registries are.
func (f *chartFetcher) pullOCI(repoURL, dir, name, version string) (string, error) {
	ref := strings.TrimSuffix(strings.TrimPrefix(repoURL, "oci://"), "/") + "/" + name
	opts := []registry.ClientOption{
		registry.ClientOptWriter(io.Discard),
		// A file of capstan's own, so that the Helm configuration of the
		// machine's user plays no part.
		registry.ClientOptCredentialsFile(filepath.Join(dir, "registry-config.json")),
	}
	if user, pass := f.creds(repoURL); user != "" || pass != "" {
		opts = append(opts, registry.ClientOptBasicAuth(user, pass))
	}
	host, _, _ := strings.Cut(ref, "/")
	if isLoopback(host) {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	client, err := registry.NewClient(opts...)
	if err != nil {
		return "", err
	}
	if !exactVersion.MatchString(version) {
		tags, err := client.Tags(ref)
		if err != nil {
			return "", err
		}
		if version, err = registry.GetTagMatchingVersionOrConstraint(tags, version); err != nil {
			return "", err
		}
	}
	version = strings.TrimPrefix(version, "v")
	path, err := cachedChartPath(dir, name, version)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	res, err := client.Pull(ref+":"+strings.ReplaceAll(version, "+", "_"), registry.PullOptWithChart(true))
	if err != nil {
		return "", err
	}
	return path, writeFileAtomic(path, res.Chart.Data)
}

// repoKey names a repository's directory in the cache.
func repoKey(repoURL string) string {
	sum := sha256.Sum256([]byte(repoURL))
	return hex.EncodeToString(sum[:8])
}

func sameHost(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	return errA == nil && errB == nil && ua.Host == ub.Host
}

func isLoopback(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
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

// writeFileAtomic writes data to path through a temporary file, so that a
// concurrent render never reads a half-written archive.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
