package source

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/spf13/pflag"
	"golang.org/x/sync/singleflight"
	"k8s.io/utils/clock"

	"github.com/capstan-cd/capstan/internal/memo"
	"github.com/capstan-cd/capstan/internal/settings"
)

// GitOptions configure a Git.
type GitOptions struct {
	// CacheDir holds fetched objects and checked-out trees. Required.
	CacheDir string
	// MaxCacheBytes bounds the checked-out trees kept on disk; the least
	// recently used are removed first. Zero means DefaultMaxCacheBytes.
	MaxCacheBytes int64
	// PollInterval is how long one ls-remote answer is reused for a
	// repository. Zero means DefaultPollInterval.
	PollInterval time.Duration
	// Clock is the time source; nil means the real clock.
	Clock clock.PassiveClock
	// AllowFileRepositories lets Applications read file:// URLs and local
	// paths, that is the controller's own disk. Off by default.
	AllowFileRepositories bool
	// Trust gives the SSH known hosts and TLS certificates repositories
	// are verified against; nil means none, and then an SSH host is
	// trusted only through a Repository's own KnownHosts.
	Trust Trust
}

// Defaults for GitOptions.
const (
	DefaultMaxCacheBytes = 2 << 30
	// DefaultPollInterval is timeout.reconciliation's default.
	DefaultPollInterval = settings.DefaultResync
)

// BindFlags registers the options on fs.
func (o *GitOptions) BindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.CacheDir, "git-cache-dir", o.CacheDir, "directory for fetched Git objects and checked-out trees")
	fs.Int64Var(&o.MaxCacheBytes, "git-cache-max-bytes", o.MaxCacheBytes, "bound on the size of checked-out trees kept on disk")
	fs.DurationVar(&o.PollInterval, "git-poll-interval", o.PollInterval, "how long one ls-remote answer is reused for a repository")
	fs.BoolVar(&o.AllowFileRepositories, FlagAllowFileRepositories, o.AllowFileRepositories, "let Applications use file:// and local-path repositories, which read the controller's own disk")
}

// FlagAllowFileRepositories is the flag that sets
// GitOptions.AllowFileRepositories.
const FlagAllowFileRepositories = "allow-file-repositories"

func (o GitOptions) withDefaults() GitOptions {
	if o.MaxCacheBytes <= 0 {
		o.MaxCacheBytes = DefaultMaxCacheBytes
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	return o
}

// Git resolves revisions of Git repositories and checks out their trees. One
// Git is shared by every Application of a process: it asks each repository
// for its refs at most once per poll interval, and fetches a commit at most
// once. It is safe for concurrent use.
type Git struct {
	opts       GitOptions
	ids        identities
	trees      *treeCache
	treeHashes *memo.Memo[[sha256.Size]byte, plumbing.Hash] // the hash of a path at a commit never changes (see TreeHash)
	apps       *githubApps

	lsGroup    singleflight.Group
	fetchGroup singleflight.Group

	mu    sync.Mutex
	refs  map[gitKey]refList    // by repository and identity
	repos map[gitKey]*localRepo // by repository and identity
	stats map[string]*GitStats  // by normalised URL
}

// GitStats counts the requests Git sent to one repository.
type GitStats struct {
	// LsRemote counts ref listings.
	LsRemote int64
	// Fetch counts fetches of objects.
	Fetch int64
}

// NewGit returns a Git keeping its cache under opts.CacheDir.
func NewGit(opts GitOptions) (*Git, error) {
	opts = opts.withDefaults()
	if opts.CacheDir == "" {
		return nil, fmt.Errorf("git cache dir is required")
	}
	for _, sub := range []string{"repos", "trees", "tmp"} {
		if err := os.MkdirAll(filepath.Join(opts.CacheDir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("create git cache %s: %w", opts.CacheDir, err)
		}
	}
	// Leftovers of an extraction interrupted by a crash.
	if err := removeAll(filepath.Join(opts.CacheDir, "tmp")); err != nil {
		return nil, fmt.Errorf("clean git cache %s: %w", opts.CacheDir, err)
	}
	if err := os.MkdirAll(filepath.Join(opts.CacheDir, "tmp"), 0o755); err != nil {
		return nil, fmt.Errorf("create git cache %s: %w", opts.CacheDir, err)
	}
	trees, err := newTreeCache(filepath.Join(opts.CacheDir, "trees"), opts.MaxCacheBytes, opts.Clock)
	if err != nil {
		return nil, err
	}
	ids, err := loadIdentities(opts.CacheDir)
	if err != nil {
		return nil, err
	}
	return &Git{
		opts:       opts,
		ids:        ids,
		trees:      trees,
		treeHashes: memo.New[[sha256.Size]byte, plumbing.Hash](100_000),
		apps:       newGitHubApps(opts.Clock),
		refs:       map[gitKey]refList{},
		repos:      map[gitKey]*localRepo{},
		stats:      map[string]*GitStats{},
	}, nil
}

// Stats returns the requests sent so far, by normalised repository URL.
func (g *Git) Stats() map[string]GitStats {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[string]GitStats, len(g.stats))
	for k, v := range g.stats {
		out[k] = *v
	}
	return out
}

// Invalidate forgets the ref lists of a repository, under every identity,
// so that the next Resolve asks the server again, as after a push webhook.
func (g *Git) Invalidate(repoURL string) {
	norm := NormalizeURL(repoURL)
	g.mu.Lock()
	defer g.mu.Unlock()
	for k := range g.refs {
		if k.url == norm {
			delete(g.refs, k)
		}
	}
}

// gitKey is one repository as one identity sees it: the unit of every cache
// of Git.
type gitKey struct {
	url      string // normalised
	identity string
}

func (g *Git) keyOf(repo Repository) gitKey {
	return gitKey{url: NormalizeURL(repo.URL), identity: g.ids.of(repo)}
}

// name names the key's directories in the cache. It holds no credential.
func (k gitKey) name() string {
	sum := sha256.Sum256([]byte(k.url))
	return hex.EncodeToString(sum[:8]) + "-" + k.identity
}

func (g *Git) count(key string, f func(*GitStats)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, ok := g.stats[key]
	if !ok {
		s = &GitStats{}
		g.stats[key] = s
	}
	f(s)
}
