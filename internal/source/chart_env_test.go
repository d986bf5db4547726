package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	clocktesting "k8s.io/utils/clock/testing"
)

// testCharts is a Charts on a fresh cache with a clock the test moves.
func testCharts(t *testing.T) (*Charts, *clocktesting.FakePassiveClock) {
	t.Helper()
	clk := clocktesting.NewFakePassiveClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	return testChartsWith(t, ChartsOptions{Clock: clk}), clk
}

// testChartsWith is a Charts on a fresh cache with opts, a poll interval
// of a minute and a timeout of 30 s unless opts set them.
func testChartsWith(t *testing.T, opts ChartsOptions) *Charts {
	t.Helper()
	dir := t.TempDir()
	// Extracted charts are read-only; give the temporary directory's own
	// cleanup, which runs after this one, a tree it can remove.
	t.Cleanup(func() { _ = removeAll(dir) })
	opts.CacheDir = dir
	if opts.PollInterval == 0 {
		opts.PollInterval = time.Minute
	}
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	c, err := NewCharts(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// packageChart writes the archive of a small chart named name at version
// into dir, the way `helm package` does, and returns its path.
func packageChart(t *testing.T, dir, name, version string) string {
	t.Helper()
	ch := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: name, Version: version, AppVersion: version, Type: "application"},
		Values:   map[string]any{"replicas": 1},
		Templates: []*chart.File{{
			Name: "templates/configmap.yaml",
			Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  version: " + version + "\n"),
		}},
	}
	path, err := chartutil.Save(ch, dir)
	if err != nil {
		t.Fatalf("package chart %s %s: %v", name, version, err)
	}
	return path
}

// chartYAMLVersion reads the version a pulled chart's Chart.yaml declares.
func chartYAMLVersion(t *testing.T, dir string) string {
	t.Helper()
	md, err := chartutil.LoadChartfile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		t.Fatalf("read Chart.yaml of pulled chart: %v", err)
	}
	return md.Version
}

// assertReadOnly fails when any file or directory under dir is writable.
func assertReadOnly(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode().Perm()&0o222 != 0 {
			t.Errorf("%s is writable (%v)", p, info.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// assertNoSecret fails when err's message contains secret.
func assertNoSecret(t *testing.T, err error, secret string) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("error message contains the password: %v", err)
	}
}
