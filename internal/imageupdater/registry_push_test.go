package imageupdater

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/registry"
)

// at is a build time, minutes after a fixed instant.
func at(minutes int) time.Time { return time.Date(2026, 1, 1, 0, minutes, 0, 0, time.UTC) }

var (
	amd64 = ocispec.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = ocispec.Platform{OS: "linux", Architecture: "arm64"}
)

// pusher writes test images into one repository of a real registry.
type pusher struct {
	t    *testing.T
	repo *remote.Repository
}

func newPusher(t *testing.T, reg *registry.Registry, path string) pusher {
	t.Helper()
	repo, err := remote.NewRepository(reg.Host + "/" + path)
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	repo.Client = &auth.Client{
		Client:     http.DefaultClient,
		Cache:      auth.NewCache(),
		Credential: auth.StaticCredential(reg.Host, auth.Credential{Username: reg.Username, Password: reg.Password}),
	}
	return pusher{t: t, repo: repo}
}

// image pushes a single-platform image built at created and returns its
// manifest's descriptor, with its platform.
func (p pusher) image(created time.Time, platform ocispec.Platform) ocispec.Descriptor {
	p.t.Helper()
	layer := p.push(ocispec.MediaTypeImageLayer, []byte("layer built "+created.String()))
	cfg := ocispec.Image{Created: &created, Platform: platform, RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{layer.Digest}}}
	cfgDesc := p.pushJSON(ocispec.MediaTypeImageConfig, cfg)
	desc := p.pushJSON(ocispec.MediaTypeImageManifest, ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: cfgDesc, Layers: []ocispec.Descriptor{layer},
	})
	desc.Platform = &platform
	return desc
}

// index pushes an index of images.
func (p pusher) index(children ...ocispec.Descriptor) ocispec.Descriptor {
	p.t.Helper()
	return p.pushJSON(ocispec.MediaTypeImageIndex, ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: children,
	})
}

// tag points tag at desc and returns desc's digest.
func (p pusher) tag(desc ocispec.Descriptor, tags ...string) string {
	p.t.Helper()
	for _, tag := range tags {
		if err := p.repo.Tag(p.t.Context(), desc, tag); err != nil {
			p.t.Fatalf("tag %s: %v", tag, err)
		}
	}
	return desc.Digest.String()
}

// tagged pushes a linux/amd64 image built at created under each tag.
func (p pusher) tagged(created time.Time, tags ...string) string {
	p.t.Helper()
	return p.tag(p.image(created, amd64), tags...)
}

func (p pusher) pushJSON(mediaType string, v any) ocispec.Descriptor {
	p.t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		p.t.Fatal(err)
	}
	return p.push(mediaType, data)
}

func (p pusher) push(mediaType string, data []byte) ocispec.Descriptor {
	p.t.Helper()
	desc, err := oras.PushBytes(p.t.Context(), p.repo, mediaType, data)
	if err != nil {
		p.t.Fatalf("push %s: %v", mediaType, err)
	}
	return desc
}

// confFor is a registries.conf serving the test registry over plain
// HTTP, with extra lines added to its entry.
func confFor(t *testing.T, reg *registry.Registry, extra ...string) *RegistriesConf {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "registries:\n- name: test\n  api_url: http://%s\n  prefix: %s\n", reg.Host, reg.Host)
	for _, line := range extra {
		fmt.Fprintf(&b, "  %s\n", line)
	}
	conf, err := ParseRegistriesConf([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return conf
}

// app is an Application running images, with annotations.
func app(annotations map[string]string, running ...string) *v1alpha1.Application {
	a := &v1alpha1.Application{}
	a.Namespace, a.Name = "argocd", "guestbook"
	a.Annotations = annotations
	a.Status.Summary.Images = running
	return a
}

// requestCounter counts registry requests by outcome.
type requestCounter struct {
	mu            sync.Mutex
	total, failed int
}

func (c *requestCounter) observe(_ string, failed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total++
	if failed {
		c.failed++
	}
}

func (c *requestCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}
