package imageupdater

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"runtime"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/sync/errgroup"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// FinderOptions configure a Finder; the zero value works with defaults.
type FinderOptions struct {
	// Secrets reads the Secrets of pullsecret: and secret: credentials;
	// nil refuses those sources.
	Secrets client.Reader
	// Clock tells the time for caches and credential expiry.
	Clock clock.PassiveClock
	// CacheTTL is how long tag lists and tag metadata are reused;
	// DefaultCacheTTL when zero, nothing cached when negative.
	CacheTTL time.Duration
	// Platform is the os/arch an image must have when its annotations
	// name no platforms; linux/<GOARCH> when empty.
	Platform string
	// ExtTimeout bounds ext: scripts; DefaultExtTimeout when zero.
	ExtTimeout time.Duration
	// AnnotationScripts lets a pull-secret annotation name env: and ext:
	// sources. Off, only registries.conf may: whoever may annotate an
	// Application would otherwise run a program of the controller's
	// machine, or send one of its environment variables to a registry of
	// their choosing.
	AnnotationScripts bool
	// Transport is the base of every registry request;
	// http.DefaultTransport when nil.
	Transport http.RoundTripper
	// MetadataFetches bounds the manifests read at once for one image;
	// DefaultMetadataFetches when zero.
	MetadataFetches int
	// OnRequest, when set, is told of every registry request.
	OnRequest func(registry string, failed bool)
	// RequestTimeout bounds each registry request from when the rate
	// limit lets it go, so that a registry that stops answering cannot
	// hold a cycle; DefaultRequestTimeout when zero.
	RequestTimeout time.Duration
}

// Defaults of FinderOptions.
const (
	DefaultCacheTTL        = time.Minute
	DefaultMetadataFetches = 10
	DefaultRequestTimeout  = 30 * time.Second
)

// Finder decides which images of an Application have a newer version, by
// its annotations and what its registries hold. It keeps per-registry
// rate limits, caches and credentials across calls; it is safe for
// concurrent use.
type Finder struct {
	opts  FinderOptions
	fetch credentialFetcher

	mu      sync.Mutex
	conf    *RegistriesConf
	clients map[endpoint]*registryClient
}

// NewFinder returns a Finder knowing no registries.conf entries.
func NewFinder(opts FinderOptions) *Finder {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.CacheTTL == 0 {
		opts.CacheTTL = DefaultCacheTTL
	}
	if opts.Platform == "" {
		opts.Platform = "linux/" + runtime.GOARCH
	}
	if opts.Transport == nil {
		opts.Transport = http.DefaultTransport
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.MetadataFetches <= 0 {
		opts.MetadataFetches = DefaultMetadataFetches
	}
	return &Finder{
		opts:    opts,
		fetch:   credentialFetcher{secrets: opts.Secrets, extTimeout: opts.ExtTimeout, annotationScripts: opts.AnnotationScripts},
		conf:    &RegistriesConf{},
		clients: map[endpoint]*registryClient{},
	}
}

// SetRegistries replaces the registries.conf in use. When it is the same
// as before (it is read again every cycle), registries keep their caches,
// limits and credentials; when it changed, they start afresh, so that
// clients of entries gone or edited do not pile up.
func (f *Finder) SetRegistries(conf *RegistriesConf) {
	if conf == nil {
		conf = &RegistriesConf{}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !reflect.DeepEqual(f.conf, conf) {
		clear(f.clients)
	}
	f.conf = conf
}

// client returns the endpoint's client, made on first use.
func (f *Finder) client(ep endpoint) (*registryClient, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.clients[ep]; ok {
		return c, nil
	}
	c, err := newRegistryClient(ep, f.opts)
	if err != nil {
		return nil, err
	}
	f.clients[ep] = c
	return c, nil
}

func (f *Finder) registries() *RegistriesConf {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conf
}

// Updates returns an Update for each image of the Application's
// image-list whose chosen version differs from the one running (or, for
// an image that runs nowhere and has force-update, from the one its
// parameters set). An image whose registry fails gives no Update and an
// error naming the image and the registry; the other images' Updates are
// still returned, with the errors joined.
func (f *Finder) Updates(ctx context.Context, app *v1alpha1.Application) ([]Update, error) {
	specs, err := ParseAnnotations(app.Annotations)
	if err != nil {
		return nil, fmt.Errorf("application %s/%s: %w", app.Namespace, app.Name, err)
	}
	conf := f.registries()
	var updates []Update
	var errs []error
	for _, spec := range specs {
		u, err := f.update(ctx, conf, app, spec)
		if err != nil {
			errs = append(errs, fmt.Errorf("application %s/%s: %w", app.Namespace, app.Name, err))
			continue
		}
		if u != nil {
			updates = append(updates, *u)
		}
	}
	return updates, errors.Join(errs...)
}

// update decides one image.
func (f *Finder) update(ctx context.Context, conf *RegistriesConf, app *v1alpha1.Application, spec ImageSpec) (*Update, error) {
	log := logr.FromContextOrDiscard(ctx).WithValues("application", app.Namespace+"/"+app.Name, "image", spec.Name())
	loc := conf.locate(spec.Image)
	current, running := runningImage(app, spec, conf)
	if !running {
		if !spec.ForceUpdate {
			log.V(1).Info("image runs in no container, skipped")
			return nil, nil
		}
		current = configuredImage(app, spec, conf)
	}
	best, ok, err := f.choose(ctx, loc, spec, current)
	if err != nil {
		return nil, fmt.Errorf("image %s (%s) from registry %s (%s): %w", spec.Name(), spec.Image, loc.Endpoint.Name, loc.Endpoint.Host, err)
	}
	if !ok {
		log.V(1).Info("no tag allowed", "strategy", spec.Strategy, "constraint", spec.Constraint)
		return nil, nil
	}
	if !needsUpdate(spec.Strategy, current, best) {
		return nil, nil
	}
	u := &Update{
		Namespace: app.Namespace, App: app.Name, Alias: spec.Name(), Image: spec.Image,
		From: current.String(), Tag: best.Tag,
		HelmImageName: spec.HelmImageName, HelmImageTag: spec.HelmImageTag, HelmImageSpec: spec.HelmImageSpec,
		KustomizeImageName: spec.KustomizeImageName,
	}
	if spec.Strategy == StrategyDigest {
		u.Digest = best.Digest
	}
	log.V(1).Info("newer image", "from", u.From, "to", u.Reference())
	return u, nil
}

// needsUpdate says whether best differs from what runs: by digest for
// the digest strategy, else by tag.
func needsUpdate(s Strategy, current imageVersion, best Candidate) bool {
	if s == StrategyDigest {
		return current.Digest != best.Digest
	}
	return current.Tag != best.Tag
}

// choose asks the registry for the image's candidates and picks one. If
// the registry refuses its own cached credentials, they are fetched again
// and the question asked once more.
func (f *Finder) choose(ctx context.Context, loc imageLocation, spec ImageSpec, current imageVersion) (Candidate, bool, error) {
	rc, err := f.client(loc.Endpoint)
	if err != nil {
		return Candidate{}, false, err
	}
	for attempt := 0; ; attempt++ {
		a, err := f.access(ctx, rc, spec, loc)
		if err != nil {
			return Candidate{}, false, err
		}
		cands, err := f.candidates(ctx, rc, loc.Repository, a, spec)
		if err != nil {
			if attempt == 0 && spec.PullSecret == "" && a.cred != nil && isAuthError(err) {
				rc.forgetCredential()
				continue
			}
			return Candidate{}, false, err
		}
		best, ok := Pick(spec.Strategy, spec.Constraint, current.Tag, cands)
		return best, ok, nil
	}
}

// access is the image's pull secret, read anew each time, or else the
// registry's cached credentials.
func (f *Finder) access(ctx context.Context, rc *registryClient, spec ImageSpec, loc imageLocation) (access, error) {
	if spec.PullSecret == "" {
		return rc.registryCredential(ctx, f.fetch)
	}
	src, err := ParseCredentialSource(spec.PullSecret)
	if err != nil {
		return access{}, err
	}
	cred, err := f.fetch.fetch(ctx, src, loc.Endpoint.Prefix, fromAnnotation)
	if err != nil {
		return access{}, err
	}
	return access{cred: &cred, key: "image:" + src.String()}, nil
}

// candidates lists the tags the image's filters allow, with the
// metadata its strategy needs.
func (f *Finder) candidates(ctx context.Context, rc *registryClient, path string, a access, spec ImageSpec) ([]Candidate, error) {
	all, err := rc.listTags(ctx, path, a)
	if err != nil {
		return nil, err
	}
	filter, err := newTagFilter(spec)
	if err != nil {
		return nil, err
	}
	tags := filter.apply(all)
	cands := make([]Candidate, len(tags))
	for i, t := range tags {
		cands[i] = Candidate{Tag: t}
	}
	if spec.Strategy == StrategyNewestBuild && rc.ep.TagSortMode != "" && rc.ep.TagSortMode != TagSortNone {
		return sortedByList(cands, all, rc.ep.TagSortMode), nil
	}
	if !spec.Strategy.readsMetadata() {
		return cands, nil
	}
	want := platformWant{platforms: spec.Platforms, explicit: len(spec.Platforms) > 0}
	if !want.explicit {
		want.platforms = []string{f.opts.Platform}
	}
	created := spec.Strategy == StrategyNewestBuild
	matched := make([]bool, len(cands))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(f.opts.MetadataFetches)
	for i := range cands {
		g.Go(func() error {
			m, err := rc.tagMetadata(gctx, path, a, cands[i].Tag, want, created)
			if err != nil {
				return err
			}
			cands[i].Digest, cands[i].Created, matched[i] = m.Digest, m.Created, m.Match
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var kept []Candidate
	for i, c := range cands {
		if matched[i] {
			kept = append(kept, c)
		}
	}
	return kept, nil
}

// sortedByList gives candidates build times from their place in the
// registry's listing, for registries that list tags by age
// (tagsortmode), so that newest-build reads no manifest.
func sortedByList(cands []Candidate, listed []string, mode string) []Candidate {
	pos := make(map[string]int, len(listed))
	for i, t := range listed {
		pos[t] = i
	}
	base := time.Unix(0, 0)
	for i := range cands {
		age := pos[cands[i].Tag]
		if mode == TagSortLatestFirst {
			age = len(listed) - age
		}
		cands[i].Created = base.Add(time.Duration(age) * time.Second)
	}
	return cands
}
