package render

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"strings"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/memo"
)

// Dependency is a chart a Helm render takes from a Helm repository or an
// OCI registry: declared in the Chart.yaml of the source's chart, or of a
// `file://` dependency of it, and not vendored in its charts/.
type Dependency struct {
	// Name and Repository as declared; Version as Chart.lock pins it, else
	// as declared (a version or a range).
	Name, Repository, Version string
}

// Key names the dependency in Request.Dependencies.
func (d Dependency) Key() string {
	return strings.TrimSuffix(d.Repository, "/") + " " + d.Name + " " + d.Version
}

// Dependencies lists the chart dependencies that the render of req takes
// from repositories; none for a source that is not Helm. It fetches
// nothing: the caller fetches them, with each repository's credentials and
// once it has checked them against the Application's project, and hands
// them to the render in req.Dependencies. A source the render would fail
// on lists none; the render reports why.
func Dependencies(ctx context.Context, req Request) ([]Dependency, error) {
	key, memoized := notHelmKeyOf(req)
	if memoized {
		if _, known := notHelm.Get(key); known {
			return nil, nil
		}
	}
	t, dir, typ, err := sourceTree(req)
	if err != nil || t == nil {
		return nil, nil
	}
	defer t.close()
	if typ != v1alpha1.ApplicationSourceTypeHelm {
		if memoized {
			notHelm.Put(key, struct{}{})
		}
		return nil, nil
	}
	ch, _, err := loadChart(t, dir)
	if err != nil || checkDependencyNames(ch) != nil {
		return nil, nil
	}
	l := &dependencyList{}
	if _, err := addMissingDependencies(ctx, l, t, dir, ch); err != nil {
		return nil, fmt.Errorf("helm chart %s: %w", ch.Name(), err)
	}
	return l.deps, nil
}

// notHelm remembers the Git sources found not to be Helm charts, for which
// Dependencies lists nothing. What decides a source's type is the tool the
// source names and the files in its path, and the path's Git hash
// (Request.PathHash) changes exactly when those do: a pass over an
// unchanged path (every poll of every Application) opens no directory and
// stats no file to learn it again. The keys hold no pointer, so the
// collector does not scan them.
var notHelm = memo.New[notHelmKey, struct{}](1 << 16)

// notHelmKey is a path's Git hash (SHA-1 or SHA-256), the tools its
// source names, and a digest of the checkout's root: a file of the path
// may be a link to one outside it, which the hash does not cover, so one
// checkout's answer is not taken for another's.
type notHelmKey struct {
	hash  [sha256.Size]byte
	root  uint64
	tools uint8
}

// rootSeed seeds the digests of checkouts' roots; the memo lives in
// memory only.
var rootSeed = maphash.MakeSeed()

// notHelmKeyOf is the key of req, and false when its type cannot be
// remembered: a source without a path hash (a chart, a path that is a
// symbolic link or missing), or one whose hash is not a Git hash.
func notHelmKeyOf(req Request) (notHelmKey, bool) {
	var k notHelmKey
	h := req.PathHash
	if h == "" || len(h) > 2*sha256.Size {
		return k, false
	}
	if _, err := hex.Decode(k.hash[:], []byte(h)); err != nil {
		return k, false
	}
	k.root = maphash.String(rootSeed, req.Root)
	src := req.Source
	for i, set := range []bool{src.Helm != nil, src.Kustomize != nil, src.Directory != nil, src.Plugin != nil, src.Chart != "", len(h) == 2*sha256.Size} {
		if set {
			k.tools |= 1 << i
		}
	}
	return k, true
}

// dependencyList records the remote dependencies a render asks for, and
// answers each with an empty chart of its name so that the walk goes on.
type dependencyList struct {
	deps []Dependency
}

func (l *dependencyList) chart(_ context.Context, repoURL, name, version string) (*chart.Chart, error) {
	if err := checkDependencyName(name, "", version); err != nil {
		return nil, err
	}
	d := Dependency{Name: name, Repository: repoURL, Version: version}
	for _, seen := range l.deps {
		if seen.Key() == d.Key() {
			return emptyChart(name, version), nil
		}
	}
	l.deps = append(l.deps, d)
	return emptyChart(name, version), nil
}

func emptyChart(name, version string) *chart.Chart {
	return &chart.Chart{Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: name, Version: version}}
}

// prefetched gives a render the dependencies its caller fetched: the
// directory of each pulled chart by Dependency.Key.
type prefetched map[string]string

func (p prefetched) chart(_ context.Context, repoURL, name, version string) (*chart.Chart, error) {
	dir, ok := p[Dependency{Name: name, Repository: repoURL, Version: version}.Key()]
	if !ok {
		return nil, fmt.Errorf("chart %s %s from %s was not fetched before the render", name, version, redactURL(repoURL))
	}
	t, err := openTree(dir)
	if err != nil {
		return nil, err
	}
	defer t.close()
	// What a repository served is loaded through the same confined view as
	// a source; its files are not inputs of the render (the caller keys
	// the cache by the pulled directory).
	sub, _, err := loadChart(t, t.path)
	if err != nil {
		return nil, fmt.Errorf("load chart %s %s from %s: %w", name, version, redactURL(repoURL), err)
	}
	return sub, nil
}
