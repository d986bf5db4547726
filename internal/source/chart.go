package source

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sync/singleflight"
	"k8s.io/utils/clock"
)

// ChartsOptions configure a Charts.
type ChartsOptions struct {
	// CacheDir holds downloaded indexes, chart archives and extracted
	// charts. Required.
	CacheDir string
	// PollInterval is how long one index.yaml or one OCI tag list is reused
	// for a repository. Zero means DefaultPollInterval.
	PollInterval time.Duration
	// Timeout bounds one download (an index, a tag list, an archive). Zero
	// means DefaultChartTimeout.
	Timeout time.Duration
	// Clock is the time source; nil means the real clock.
	Clock clock.PassiveClock
	// Trust gives the TLS certificates repositories are verified against;
	// nil means none beyond the system's and a Repository's own CAData.
	Trust Trust
}

// DefaultChartTimeout is Helm's own default for one HTTP download.
const DefaultChartTimeout = 2 * time.Minute

// BindFlags registers the options on fs.
func (o *ChartsOptions) BindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.CacheDir, "chart-cache-dir", o.CacheDir, "directory for Helm repository indexes and pulled charts")
	fs.DurationVar(&o.PollInterval, "chart-poll-interval", o.PollInterval, "how long one Helm index or OCI tag list is reused for a repository")
	fs.DurationVar(&o.Timeout, "chart-timeout", o.Timeout, "bound on one download from a Helm repository or OCI registry")
}

func (o ChartsOptions) withDefaults() ChartsOptions {
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultChartTimeout
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	return o
}

// Charts resolves chart versions and pulls charts from Helm repositories
// (index.yaml over HTTP) and OCI registries. One Charts is shared by every
// Application of a process: it reads each repository's index or tag list at
// most once per poll interval, and downloads and extracts each chart version
// once. It is safe for concurrent use.
type Charts struct {
	opts ChartsOptions
	ids  identities

	listGroup singleflight.Group
	pullGroup singleflight.Group

	mu    sync.Mutex
	lists map[string]chartList // by listKey
}

// chartList is what one repository said it has, and when it said it.
type chartList struct {
	fetched time.Time
	// versions of each chart, with the archive URLs a Helm repository
	// gives for each version (none for OCI, where the tag is the address).
	versions map[string]map[string][]string
}

// Cache layout under ChartsOptions.CacheDir.
const (
	chartIndexDir    = "index"    // index.yaml files, one per repository
	chartArchiveDir  = "archives" // downloaded .tgz files
	chartExtractDir  = "charts"   // extracted, read-only charts
	chartCredentials = "registry-credentials.json"
	// tmpPrefix starts the name of a file or tree being written.
	tmpPrefix = ".tmp-"
)

// NewCharts returns a Charts that keeps its files under opts.CacheDir.
func NewCharts(opts ChartsOptions) (*Charts, error) {
	if opts.CacheDir == "" {
		return nil, fmt.Errorf("chart cache directory not set")
	}
	for _, d := range []string{chartIndexDir, chartArchiveDir, chartExtractDir} {
		dir := filepath.Join(opts.CacheDir, d)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create chart cache: %w", err)
		}
		removeUnfinished(dir)
	}
	ids, err := loadIdentities(opts.CacheDir)
	if err != nil {
		return nil, err
	}
	return &Charts{opts: opts.withDefaults(), ids: ids, lists: map[string]chartList{}}, nil
}

// removeUnfinished deletes what a process stopped in the middle of a
// download or extraction left behind: the temporary names under dir.
func removeUnfinished(dir string) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, de := range des {
		if strings.HasPrefix(de.Name(), tmpPrefix) {
			_ = removeAll(filepath.Join(dir, de.Name()))
		}
	}
}
