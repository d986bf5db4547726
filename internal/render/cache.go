package render

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/deflate"
)

// Cache remembers renders by the content of what they read, not by commit:
// a commit that leaves an Application's path and the files it reads from
// elsewhere untouched is served without rendering again. It is safe for
// concurrent use and drops the least recently used entries beyond its
// size (see limit). Everything in it can be rebuilt; losing it costs only
// time.
type Cache struct {
	build BuildFunc
	mu    sync.Mutex
	// capacity is the least number of entries the cache may hold.
	capacity int
	// entries index order, whose elements are *cacheEntry, the most
	// recently used first.
	entries map[cacheDigest]*list.Element
	order   *list.List
	// slots maps each source of each Application it rendered (slotOf)
	// to the key of its latest render.
	slots map[cacheDigest]cacheDigest
	// family compresses the renders against the first one: the renders
	// of Applications made from one template differ in a few names.
	family deflate.Family
}

type cacheEntry struct {
	// key is the entry's cache key, slot the source it is a render of.
	key, slot cacheDigest
	// outside are the files read outside the source's path, with digests.
	outside []fileDigest
	// objects are the rendered objects as JSON, compressed together
	// (packObjects) against dict: JSON is a third of their size as maps
	// and gives a fresh copy for every hit; compressed, the keys and
	// values that manifests repeat take a few times less again.
	objects []byte
	dict    *deflate.Dict
	typ     v1alpha1.ApplicationSourceType
	types   []v1alpha1.ApplicationSourceType
	inputs  []string
}

// fileDigest names an input of a render, a file or a listed directory, by
// its root ("" for the request's Root, else a ref name) and its path
// relative to that root.
type fileDigest struct {
	Root, Path, Digest string
}

// CacheOption configures a Cache.
type CacheOption func(*Cache)

// WithBuild makes the cache render through b instead of Build in process.
func WithBuild(b BuildFunc) CacheOption {
	return func(c *Cache) { c.build = b }
}

// NewCache returns a cache that holds at least capacity renders, and
// twice as many as the sources it serves when they are more (see limit).
func NewCache(capacity int, opts ...CacheOption) *Cache {
	c := &Cache{build: Build, capacity: max(capacity, 1), entries: make(map[cacheDigest]*list.Element), order: list.New(), slots: make(map[cacheDigest]cacheDigest)}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Render returns the cached result for req when every input is unchanged,
// and renders otherwise. The returned objects are the caller's to modify.
// The cache keeps builds before their namespaces are defaulted, and
// defaults them on every call against req.Scope as it is now: a kind whose
// CRD arrived since the build gets its namespace without a new render.
func (c *Cache) Render(ctx context.Context, req Request) (*Result, bool, error) {
	res, hit, err := c.lookup(ctx, req)
	if err != nil {
		return nil, false, err
	}
	res.defaultNamespaces(req)
	return res, hit, nil
}

func (c *Cache) lookup(ctx context.Context, req Request) (*Result, bool, error) {
	key, err := cacheKey(req)
	if err != nil {
		return nil, false, err
	}
	slot := slotOf(req)
	c.mu.Lock()
	el, ok := c.entries[key]
	c.mu.Unlock()
	if ok {
		e := el.Value.(*cacheEntry)
		if unchanged(req, e.outside) {
			c.mu.Lock()
			// Evicted meanwhile, the entry is still good for this hit.
			if c.entries[key] == el {
				c.order.MoveToFront(el)
				c.slots[slot] = key
			}
			c.mu.Unlock()
			res, err := e.decode()
			return res, err == nil, err
		}
	}
	res, err := c.build(ctx, req)
	if err != nil {
		return nil, false, err
	}
	outside, err := outsideInputs(req, res.Inputs)
	if err != nil {
		// The render is good; it just cannot be cached.
		return res, false, nil
	}
	// Packed before the lock: other renders' look-ups need not wait
	// for the compression.
	entry, err := newCacheEntry(&c.family, res, outside)
	if err != nil {
		return res, false, nil
	}
	entry.key, entry.slot = key, slot
	c.mu.Lock()
	c.remove(key)
	c.entries[key] = c.order.PushFront(entry)
	c.slots[slot] = key
	c.evict()
	c.mu.Unlock()
	return res, false, nil
}

// cacheDigest is a SHA-256 digest as the cache keeps it: held for each
// Application the controller renders, its 32 bytes cost half of its hex
// form, and no allocation of their own.
type cacheDigest [sha256.Size]byte

// slotOf names the source of one Application that req renders: its
// renders replace one another as commits come. It is a digest of what
// names the source, so that the cache does not hold a copy of each
// Application's names and URL.
func slotOf(req Request) cacheDigest {
	s := req.Source
	return sha256.Sum256([]byte(strings.Join([]string{req.AppName, req.Namespace, s.RepoURL, s.Path, s.Chart, s.Ref}, "\x00")))
}

// Len is the number of cached renders.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// limit is how many entries the cache holds: twice the sources it
// serves, so that each keeps its latest render and one more (a revert
// hits), and never fewer than its capacity. A controller's passes look
// every source up in turn; were the cache bounded below their number, the
// least recently used entry would always be the next one asked for, and
// no look-up would hit.
func (c *Cache) limit() int {
	return max(c.capacity, 2*len(c.slots))
}

// evict drops the least recently used entries beyond the limit, and with
// a source's latest render the source itself: one not looked up for so
// long is most likely gone.
func (c *Cache) evict() {
	for c.order.Len() > c.limit() {
		c.remove(c.order.Back().Value.(*cacheEntry).key)
	}
}

// remove drops the entry of key, if any, and its source's slot if the
// entry is the source's latest render.
func (c *Cache) remove(key cacheDigest) {
	el, ok := c.entries[key]
	if !ok {
		return
	}
	e := c.order.Remove(el).(*cacheEntry)
	delete(c.entries, key)
	if c.slots[e.slot] == key {
		delete(c.slots, e.slot)
	}
}

// cacheKey digests everything a render depends on besides the files read
// outside the source's path: the request's values, the content of the
// whole path (its Git hash when the request has one), and the versions of
// the tools.
func cacheKey(req Request) (cacheDigest, error) {
	var key cacheDigest
	// Nothing is read before the path is known to stay in the repository.
	if err := checkSourcePath(req.Source); err != nil {
		return key, err
	}
	h := sha256.New()
	source, err := json.Marshal(req.Source)
	if err != nil {
		return key, err
	}
	// The revision is part of the key only when the source hands it to the
	// tool (Argo CD's build environment); otherwise a new commit that does
	// not touch the app must hit.
	revision := ""
	if strings.Contains(string(source), "ARGOCD_APP_REVISION") {
		revision = req.Revision
	}
	plain := struct {
		AppName, Project, Namespace, KubeVersion, Revision string
		APIVersions                                        []string
		Source                                             json.RawMessage
		Refs                                               []string
		Dependencies                                       map[string]string
		Tools                                              string
	}{req.AppName, req.Project, req.Namespace, req.KubeVersion, revision, req.APIVersions, source, refNames(req.Refs), req.Dependencies, toolVersions()}
	if err := json.NewEncoder(h).Encode(plain); err != nil {
		return key, err
	}
	fmt.Fprintf(h, "discovery\x00%s\n", req.Discovery)
	fmt.Fprintf(h, "kustomize\x00%+v\n", req.Kustomize)
	if req.PathHash != "" {
		// Tagged, so that no file digest can stand for a Git hash.
		fmt.Fprintf(h, "git\x00%s\n", req.PathHash)
		return cacheDigest(h.Sum(nil)), nil
	}
	if err := digestTree(h, req.Root, req.Source.Path); err != nil {
		return key, err
	}
	return cacheDigest(h.Sum(nil)), nil
}

// sourceDir is the directory of the source inside Root.
func sourceDir(req Request) string {
	return filepath.Join(req.Root, filepath.FromSlash(req.Source.Path))
}

// digestTree writes the names and contents of every file under dir, a
// path inside root, to h, in a fixed order, reading through root only. A
// missing directory digests as such, so that a render error for it is not
// served from the cache.
func digestTree(h io.Writer, root, dir string) error {
	r, err := os.OpenRoot(root)
	if os.IsNotExist(err) {
		fmt.Fprintf(h, "missing\n")
		return nil
	}
	if err != nil {
		return err
	}
	defer r.Close()
	sub, err := r.OpenRoot(path.Clean(strings.TrimLeft(filepath.ToSlash(dir), "/")))
	if os.IsNotExist(err) || errors.Is(err, syscall.ENOTDIR) {
		// The render reports it.
		fmt.Fprintf(h, "missing\n")
		return nil
	}
	if err != nil {
		return escaped(err)
	}
	defer sub.Close()
	return digestDir(h, sub, "")
}

// digestDir digests the directory r, whose files are named prefix+name,
// in lexical order. Each directory is opened as a root of its own, so
// that every open is of one name in the directory it is in.
func digestDir(h io.Writer, r *os.Root, prefix string) error {
	entries, err := sortedEntries(r, ".")
	if err != nil {
		return err
	}
	for _, e := range entries {
		name, rel := e.Name(), prefix+e.Name()
		switch {
		case e.IsDir():
			if name == ".git" {
				continue
			}
			sub, err := r.OpenRoot(name)
			if err != nil {
				return escaped(err)
			}
			err = digestDir(h, sub, rel+"/")
			sub.Close()
			if err != nil {
				return err
			}
		case e.Type()&fs.ModeSymlink != 0:
			// A link digests as its target's name: the render decides what
			// to make of it (and skips links to directories).
			target, err := r.Readlink(name)
			if err != nil {
				return escaped(err)
			}
			io.WriteString(h, rel+"\x00link:"+target+"\n")
		default:
			sum, err := fileSum(r, name)
			if err != nil {
				return err
			}
			io.WriteString(h, rel+"\x00"+sum+"\n")
		}
	}
	return nil
}

// fileSum digests the file name inside root.
func fileSum(root *os.Root, name string) (string, error) {
	f, err := root.Open(name)
	if err != nil {
		return "", escaped(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// sumIn digests the input rel (see inputSum) inside the directory root.
func sumIn(root, rel string) (string, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return "", err
	}
	defer r.Close()
	return inputSum(r, rel)
}

// outsideInputs digests the files a render read that the source path's
// Git hash or digest does not cover, each by the name it was read under,
// relative to the root it was read from: files outside the path, and any
// file read through a symbolic link, since the path's hash holds of a
// link only its target's name, and a link may lead out of the path (or
// out and back in) to a file or a link that changes while the path does
// not. Directories the render listed count the same way, by the names and
// kinds of their entries: a file added to a chart dependency outside the
// path changes the chart. A look-up digests each of them again through
// its links, as the render read it.
func outsideInputs(req Request, inputs []string) ([]fileDigest, error) {
	roots := map[string]string{"": req.Root}
	for name, root := range req.Refs {
		roots[name] = root
	}
	trees := map[string]*tree{}
	defer func() {
		for _, t := range trees {
			t.close()
		}
	}()
	open := func(root string) (*tree, error) {
		if t, ok := trees[root]; ok {
			return t, nil
		}
		t, err := openTree(roots[root])
		if err != nil {
			return nil, err
		}
		trees[root] = t
		return t, nil
	}
	top, err := open("")
	if err != nil {
		return nil, err
	}
	dir, err := top.name(sourceDir(req))
	if err != nil {
		return nil, err
	}
	dirReal, err := top.realName(sourceDir(req))
	if err != nil {
		return nil, err
	}
	var out []fileDigest
	for _, in := range inputs {
		root, ok := locate(roots, in)
		if !ok {
			return nil, fmt.Errorf("render read %s outside every source root", in)
		}
		t, err := open(root)
		if err != nil {
			return nil, err
		}
		read, err := t.name(in)
		if err != nil {
			return nil, err
		}
		real, err := t.realName(in)
		if err != nil {
			return nil, err
		}
		if root == "" && dir == dirReal && read == real && within(dir, read) {
			continue
		}
		if strings.HasSuffix(in, string(filepath.Separator)) {
			read = listed(read)
		}
		sum, err := inputSum(t.root, read)
		if err != nil {
			return nil, err
		}
		out = append(out, fileDigest{Root: root, Path: read, Digest: sum})
	}
	return out, nil
}

func unchanged(req Request, files []fileDigest) bool {
	for _, f := range files {
		root := req.Root
		if f.Root != "" {
			root = req.Refs[f.Root]
		}
		if root == "" {
			return false
		}
		sum, err := sumIn(root, f.Path)
		if err != nil || sum != f.Digest {
			return false
		}
	}
	return true
}

// listed marks the directory abs, among a render's inputs, as one whose
// listing the render read.
func listed(abs string) string { return abs + string(filepath.Separator) }

// inputSum digests an input of a render inside root: a file's content, or
// for a listed directory (name ending in a separator) the names and kinds
// of its entries.
func inputSum(root *os.Root, name string) (string, error) {
	dir, isDir := strings.CutSuffix(name, string(filepath.Separator))
	if !isDir {
		return fileSum(root, name)
	}
	entries, err := sortedEntries(root, dir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, e := range entries {
		fmt.Fprintf(h, "%s\x00%v\n", e.Name(), e.Type())
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// locate names the root, of those named in roots, that holds path: the
// innermost one.
func locate(roots map[string]string, path string) (name string, ok bool) {
	best := ""
	for n, root := range roots {
		if within(root, path) && len(root) > len(best) {
			best, name = root, n
		}
	}
	return name, best != ""
}

func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

func refNames(refs map[string]string) []string {
	names := make([]string, 0, len(refs))
	for n := range refs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// toolVersions names the versions of the rendering libraries compiled in,
// so that an upgrade of one never serves output of the old one.
var toolVersions = sync.OnceValue(func() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	var b strings.Builder
	for _, m := range info.Deps {
		switch m.Path {
		case "helm.sh/helm/v3", "sigs.k8s.io/kustomize/api", "sigs.k8s.io/kustomize/kyaml", "github.com/google/go-jsonnet":
			fmt.Fprintf(&b, "%s@%s;", m.Path, m.Version)
		}
	}
	return b.String()
})

func newCacheEntry(family *deflate.Family, r *Result, outside []fileDigest) (*cacheEntry, error) {
	packed, dict, err := packObjects(family, r.Objects)
	if err != nil {
		return nil, err
	}
	return &cacheEntry{outside: outside, typ: r.Type, types: r.Types, inputs: r.Inputs, objects: packed, dict: dict}, nil
}

// decode is a fresh copy of the cached result, the caller's to modify.
func (e *cacheEntry) decode() (*Result, error) {
	objects, err := unpackObjects(e.objects, e.dict)
	if err != nil {
		return nil, fmt.Errorf("cached render: %w", err)
	}
	return &Result{Type: e.typ, Types: e.types, Inputs: e.inputs, Objects: objects}, nil
}
