package source

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// treeCache keeps checked-out trees on disk, one directory per repository
// and commit, within a size bound. When adding a tree pushes the total past
// the bound, the least recently used trees are removed, never the one added.
type treeCache struct {
	dir   string
	max   int64
	clock clock.PassiveClock

	mu      sync.Mutex
	entries map[string]*cacheEntry
	total   int64
}

// cacheEntry is one checked-out tree.
type cacheEntry struct {
	Key      string
	Size     int64
	LastUsed time.Time
	// pins counts the checkouts reading the tree (pin): it is not evicted
	// while they do.
	pins int
}

// newTreeCache indexes the trees already under dir, so that a restart keeps
// its cache; their last use is taken from the directory's modification time.
func newTreeCache(dir string, max int64, clk clock.PassiveClock) (*treeCache, error) {
	c := &treeCache{dir: dir, max: max, clock: clk, entries: map[string]*cacheEntry{}}
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read tree cache %s: %w", dir, err)
	}
	for _, de := range des {
		if !de.IsDir() {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue
		}
		size, err := dirSize(filepath.Join(dir, de.Name()))
		if err != nil {
			return nil, fmt.Errorf("read tree cache %s: %w", dir, err)
		}
		c.entries[de.Name()] = &cacheEntry{Key: de.Name(), Size: size, LastUsed: info.ModTime()}
		c.total += size
	}
	return c, nil
}

// get returns the directory of key and marks it used.
func (c *treeCache) get(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return "", false
	}
	e.LastUsed = c.clock.Now()
	return filepath.Join(c.dir, key), true
}

// pin returns the directory of key and keeps it from eviction until
// unpin. Unlike get it does not mark the tree used: a checkout that
// starts from a tree does not make it more likely to be asked for.
func (c *treeCache) pin(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return "", false
	}
	e.pins++
	return filepath.Join(c.dir, key), true
}

// unpin ends a pin of key.
func (c *treeCache) unpin(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok && e.pins > 0 {
		e.pins--
	}
}

// add moves the directory tmp into the cache as key, then evicts least
// recently used trees other than key until the total fits the bound.
func (c *treeCache) add(key, tmp string, size int64) (string, error) {
	dst := filepath.Join(c.dir, key)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; ok {
		_ = removeAll(tmp)
		c.entries[key].LastUsed = c.clock.Now()
		return dst, nil
	}
	if err := os.Rename(tmp, dst); err != nil {
		_ = removeAll(tmp)
		return "", fmt.Errorf("store checkout: %w", err)
	}
	c.entries[key] = &cacheEntry{Key: key, Size: size, LastUsed: c.clock.Now()}
	c.total += size
	entries := make([]cacheEntry, 0, len(c.entries))
	for _, e := range c.entries {
		entries = append(entries, *e)
	}
	for _, k := range evictions(entries, c.max, key) {
		if err := removeAll(filepath.Join(c.dir, k)); err != nil {
			return "", fmt.Errorf("evict checkout %s: %w", k, err)
		}
		c.total -= c.entries[k].Size
		delete(c.entries, k)
	}
	return dst, nil
}

// size is the total bytes of the cached trees.
func (c *treeCache) size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// evictions chooses the entries to remove so that the rest fit in max:
// least recently used first, never keep nor a pinned one.
func evictions(entries []cacheEntry, max int64, keep string) []string {
	var total int64
	for _, e := range entries {
		total += e.Size
	}
	sorted := append([]cacheEntry(nil), entries...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if !sorted[i].LastUsed.Equal(sorted[j].LastUsed) {
			return sorted[i].LastUsed.Before(sorted[j].LastUsed)
		}
		return sorted[i].Key < sorted[j].Key
	})
	var out []string
	for _, e := range sorted {
		if total <= max {
			break
		}
		if e.Key == keep || e.pins > 0 {
			continue
		}
		out = append(out, e.Key)
		total -= e.Size
	}
	return out
}

func dirSize(root string) (int64, error) {
	var n int64
	err := filepath.WalkDir(root, func(_ string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n += info.Size()
		return nil
	})
	return n, err
}
