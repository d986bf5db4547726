package registry

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// PushTags pushes to the repository path of a plain-HTTP registry one
// small linux/amd64 image per tag, each built a minute after the one
// before, from 2026-01-01.
func (r *Registry) PushTags(t testing.TB, path string, tags ...string) {
	t.Helper()
	repo, err := remote.NewRepository(r.Host + "/" + path)
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	repo.Client = &auth.Client{Client: http.DefaultClient, Cache: auth.NewCache(),
		Credential: auth.StaticCredential(r.Host, auth.Credential{Username: r.Username, Password: r.Password})}
	push := func(mediaType string, v any) ocispec.Descriptor {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		desc, err := oras.PushBytes(t.Context(), repo, mediaType, data)
		if err != nil {
			t.Fatalf("push %s to %s: %v", mediaType, path, err)
		}
		return desc
	}
	for i, tag := range tags {
		created := time.Date(2026, 1, 1, 0, i, 0, 0, time.UTC)
		layer := push(ocispec.MediaTypeImageLayer, "layer "+tag)
		cfg := push(ocispec.MediaTypeImageConfig, ocispec.Image{Created: &created, Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
			RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{layer.Digest}}})
		m := push(ocispec.MediaTypeImageManifest, ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2},
			MediaType: ocispec.MediaTypeImageManifest, Config: cfg, Layers: []ocispec.Descriptor{layer}})
		if err := repo.Tag(t.Context(), m, tag); err != nil {
			t.Fatalf("tag %s:%s: %v", path, tag, err)
		}
	}
}
