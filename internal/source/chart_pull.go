package source

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
)

// Pull returns the directory of chart at version (an exact version, as
// Resolve returns it), the one holding Chart.yaml. The chart is downloaded
// and extracted once into a read-only directory of the cache, which every
// later caller shares; concurrent callers share one download.
func (c *Charts) Pull(ctx context.Context, repo Repository, chart, version string) (string, error) {
	repo = trusted(repo, current(c.opts.Trust))
	loc, err := locateChart(repo, chart)
	if err != nil {
		return "", err
	}
	key := pullKey(loc, version) + "-" + c.ids.of(repo) // per identity, as every cache of repository content
	if dir, ok := extracted(c.extractDir(key)); ok {
		return dir, nil
	}
	ch := c.pullGroup.DoChan(key, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.Timeout)
		defer cancel()
		return c.pull(fctx, repo, loc, version, key)
	})
	select {
	case <-ctx.Done():
		return "", chartError(repo, loc, version, nil, ctx.Err())
	case res := <-ch:
		if res.Err != nil {
			return "", res.Err
		}
		return res.Val.(string), nil
	}
}

// pull downloads, verifies and extracts one chart archive.
func (c *Charts) pull(ctx context.Context, repo Repository, loc chartLocation, version, key string) (string, error) {
	if dir, ok := extracted(c.extractDir(key)); ok {
		return dir, nil // extracted while this caller waited
	}
	data, err := c.download(ctx, repo, loc, version)
	if err != nil {
		return "", err
	}
	fail := func(err error) (string, error) { return "", chartError(repo, loc, version, nil, err) }
	ch, err := loader.LoadArchive(bytes.NewReader(data))
	if err != nil {
		return fail(fmt.Errorf("load archive: %w", err))
	}
	if !sameVersion(ch.Metadata.Version, version) {
		return fail(fmt.Errorf("archive holds version %s", ch.Metadata.Version))
	}
	if err := writeFileAtomic(filepath.Join(c.opts.CacheDir, chartArchiveDir, key+".tgz"), data); err != nil {
		return fail(err)
	}
	dir, err := c.extract(key, data)
	if err != nil {
		return fail(err)
	}
	return dir, nil
}

// download fetches the archive: from the URL the index gives for a Helm
// repository, by tag from an OCI registry.
func (c *Charts) download(ctx context.Context, repo Repository, loc chartLocation, version string) ([]byte, error) {
	if loc.OCI {
		return c.pullOCI(ctx, repo, loc, version)
	}
	list, err := c.list(ctx, repo, loc)
	if err != nil {
		return nil, withVersion(err, version)
	}
	href, ok, err := archiveURL(list, loc, version)
	if err != nil {
		return nil, chartError(repo, loc, version, nil, err)
	}
	if !ok {
		return nil, chartError(repo, loc, version, ErrRevisionNotFound, nil)
	}
	g, err := newHTTPGetter(ctx, repo, loc.IndexURL)
	if err != nil {
		return nil, chartError(repo, loc, version, nil, err)
	}
	buf, err := g.Get(href)
	if err != nil {
		return nil, chartError(repo, loc, version, classifyHTTP(err, nil), err)
	}
	return buf.Bytes(), nil
}

// extract unpacks the archive into the cache's directory for key, made
// read-only, and returns the chart's directory in it. The tree appears at
// its final path complete or not at all.
func (c *Charts) extract(key string, data []byte) (string, error) {
	final := c.extractDir(key)
	tmp, err := os.MkdirTemp(filepath.Dir(final), tmpPrefix+key+"-")
	if err != nil {
		return "", fmt.Errorf("extract: %w", err)
	}
	if err := chartutil.Expand(tmp, bytes.NewReader(data)); err != nil {
		_ = removeAll(tmp)
		return "", fmt.Errorf("extract: %w", err)
	}
	if err := makeReadOnly(tmp); err != nil {
		_ = removeAll(tmp)
		return "", fmt.Errorf("extract: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		_ = removeAll(tmp)
		if _, statErr := os.Stat(final); statErr != nil {
			return "", fmt.Errorf("extract: %w", err)
		}
		// Another process of the same cache got there first.
	}
	dir, ok := extracted(final)
	if !ok {
		return "", fmt.Errorf("extract: no Chart.yaml in the archive's chart directory")
	}
	return dir, nil
}

func (c *Charts) extractDir(key string) string {
	return filepath.Join(c.opts.CacheDir, chartExtractDir, key)
}

// extracted returns the chart directory inside an extracted tree: its one
// subdirectory holding Chart.yaml.
func extracted(root string) (string, bool) {
	des, err := os.ReadDir(root)
	if err != nil || len(des) != 1 || !des[0].IsDir() {
		return "", false
	}
	dir := filepath.Join(root, des[0].Name())
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil {
		return "", false
	}
	return dir, true
}

// pullKey names one chart version of one repository in the cache.
func pullKey(loc chartLocation, version string) string {
	h := sha256.New()
	for _, s := range []string{loc.IndexURL, loc.Ref, loc.Chart, version} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// sameVersion reports whether a chart's own version is the one asked for,
// allowing the spellings semver treats as equal ("v1.2.3" and "1.2.3").
func sameVersion(got, want string) bool {
	if got == want {
		return true
	}
	g, err1 := semver.NewVersion(got)
	w, err2 := semver.NewVersion(want)
	return err1 == nil && err2 == nil && g.Equal(w)
}

// writeFileAtomic writes data to path through a temporary file and a rename.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), tmpPrefix+filepath.Base(path)+"-")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	_, err = f.Write(data)
	err = errors.Join(err, f.Close())
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}
