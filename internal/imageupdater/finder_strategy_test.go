package imageupdater

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/capstan-cd/capstan/internal/testenv/registry"
)

// startRegistry runs a registry whose credentials registries.conf reads
// from an environment variable, and a Finder that knows it.
func startRegistry(t *testing.T, opts FinderOptions, extra ...string) (*registry.Registry, *Finder) {
	t.Helper()
	reg := registry.Start(t, registry.Options{})
	t.Setenv("TEST_REGISTRY_CREDS", reg.Username+":"+reg.Password)
	f := NewFinder(opts)
	f.SetRegistries(confFor(t, reg, append([]string{"credentials: env:TEST_REGISTRY_CREDS"}, extra...)...))
	return reg, f
}

// updates runs the finder and fails the test on an error.
func updates(t *testing.T, f *Finder, annotations map[string]string, running ...string) []Update {
	t.Helper()
	got, err := f.Updates(t.Context(), app(annotations, running...))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestFinderSemver(t *testing.T) {
	reg, f := startRegistry(t, FinderOptions{})
	p := newPusher(t, reg, "team/app")
	p.tagged(at(1), "1.0.0", "1.1.0", "1.2.0", "2.0.0", "1.3.0-rc1", "latest")
	image := reg.Host + "/team/app"
	tests := []struct {
		name    string
		list    string
		running string
		want    []Update
	}{
		{"within the constraint", "app=" + image + ":1.x", image + ":1.0.0", []Update{{
			Namespace: "argocd", App: "guestbook", Alias: "app", Image: image, From: "1.0.0", Tag: "1.2.0",
		}}},
		{"without constraint", image, image + ":1.0.0", []Update{{
			Namespace: "argocd", App: "guestbook", Alias: image, Image: image, From: "1.0.0", Tag: "2.0.0",
		}}},
		{"already newest", "app=" + image + ":1.x", image + ":1.2.0", nil},
		{"no tag matches the constraint", "app=" + image + ":~3.0", image + ":1.0.0", nil},
		{"not running", "app=" + image + ":1.x", "nginx:1.27", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := updates(t, f, map[string]string{AnnotationImageList: tt.list}, tt.running)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Updates (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFinderNewestBuild(t *testing.T) {
	reg, f := startRegistry(t, FinderOptions{Platform: "linux/amd64"})
	p := newPusher(t, reg, "app")
	p.tagged(at(1), "build-1")
	p.tagged(at(3), "build-3")
	p.tagged(at(2), "build-2")
	image := reg.Host + "/app"
	got := updates(t, f, map[string]string{AnnotationImageList: "app=" + image, AnnotationPrefix + "app.update-strategy": "newest-build"}, image+":build-1")
	want := []Update{{Namespace: "argocd", App: "guestbook", Alias: "app", Image: image, From: "build-1", Tag: "build-3"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Updates (-want +got):\n%s", diff)
	}
}

func TestFinderAlphabetical(t *testing.T) {
	reg, f := startRegistry(t, FinderOptions{})
	p := newPusher(t, reg, "app")
	p.tagged(at(1), "2026-01-09", "2026-01-10", "2025-12-31")
	image := reg.Host + "/app"
	got := updates(t, f, map[string]string{AnnotationImageList: "app=" + image, AnnotationPrefix + "update-strategy": "name"}, image+":2025-12-31")
	want := []Update{{Namespace: "argocd", App: "guestbook", Alias: "app", Image: image, From: "2025-12-31", Tag: "2026-01-10"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Updates (-want +got):\n%s", diff)
	}
}

func TestFinderDigest(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(at(0))
	reg, f := startRegistry(t, FinderOptions{Clock: clk})
	p := newPusher(t, reg, "app")
	first := p.tagged(at(1), "latest", "other")
	image := reg.Host + "/app"
	annotations := map[string]string{AnnotationImageList: "app=" + image + ":latest", AnnotationPrefix + "app.update-strategy": "digest"}

	got := updates(t, f, annotations, image+":latest")
	want := []Update{{Namespace: "argocd", App: "guestbook", Alias: "app", Image: image, From: "latest", Tag: "latest", Digest: first}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tag without digest (-want +got):\n%s", diff)
	}
	if got := updates(t, f, annotations, image+":latest@"+first); len(got) != 0 {
		t.Errorf("running the tag's digest gave updates %+v, want none", got)
	}

	// The tag moves to a new build; once the cache has expired the new
	// digest is seen.
	second := p.tagged(at(2), "latest")
	clk.SetTime(at(0).Add(DefaultCacheTTL))
	got = updates(t, f, annotations, image+"@"+first)
	want = []Update{{Namespace: "argocd", App: "guestbook", Alias: "app", Image: image, From: "@" + first, Tag: "latest", Digest: second}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after the tag moved (-want +got):\n%s", diff)
	}
}

// methodCounter counts the requests a Finder sends, by method and kind
// of path (manifests, blobs, tags).
type methodCounter struct {
	mu     sync.Mutex
	counts map[string]int
	next   http.RoundTripper
}

func (c *methodCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	kind := "other"
	for _, k := range []string{"/manifests/", "/blobs/", "/tags/"} {
		if strings.Contains(req.URL.Path, k) {
			kind = strings.Trim(k, "/")
		}
	}
	c.mu.Lock()
	c.counts[req.Method+" "+kind]++
	c.mu.Unlock()
	return c.next.RoundTrip(req)
}

func (c *methodCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	counts := c.counts
	c.counts = map[string]int{}
	return counts
}

// TestFinderReadsADigestOnce: once the tag caches expire, newest-build
// resolves each tag with a HEAD request and reads no manifest or config
// it has read before.
func TestFinderReadsADigestOnce(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(at(0))
	counter := &methodCounter{counts: map[string]int{}, next: http.DefaultTransport}
	reg, f := startRegistry(t, FinderOptions{Clock: clk, Transport: counter, Platform: "linux/amd64"})
	p := newPusher(t, reg, "app")
	p.tagged(at(1), "build-1")
	p.tag(p.index(p.image(at(2), amd64), p.image(at(3), arm64)), "build-2")
	image := reg.Host + "/app"
	annotations := map[string]string{AnnotationImageList: "app=" + image, AnnotationPrefix + "app.update-strategy": "newest-build"}

	if got := updates(t, f, annotations, image+":build-1"); len(got) != 1 || got[0].Tag != "build-2" {
		t.Fatalf("Updates = %+v, want one to build-2", got)
	}
	if first := counter.take(); first["GET manifests"] == 0 || first["GET blobs"] == 0 {
		t.Fatalf("first cycle read no manifest or config: %v", first)
	}
	clk.SetTime(at(0).Add(DefaultCacheTTL))
	if got := updates(t, f, annotations, image+":build-1"); len(got) != 1 || got[0].Tag != "build-2" {
		t.Fatalf("Updates after the cache expired = %+v, want one to build-2", got)
	}
	second := counter.take()
	want := map[string]int{"GET tags": 1, "HEAD manifests": 2}
	if diff := cmp.Diff(want, second); diff != "" {
		t.Errorf("requests of the second cycle (-want +got):\n%s", diff)
	}
}
