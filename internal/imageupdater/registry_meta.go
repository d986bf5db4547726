package imageupdater

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"
)

// Docker's media types, which registries still serve next to OCI's.
const (
	dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	dockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
)

// tagMeta is what a tag's manifest says.
type tagMeta struct {
	// Digest is the digest of the manifest or index the tag names.
	Digest string
	// Created is the latest build time among the images for the wanted
	// platforms; zero when not read.
	Created time.Time
	// Match is false when the tag has no image for a wanted platform.
	Match bool
}

// platformWant is the platforms an image must be built for. Explicit
// ones (from the platforms annotation) also rule out single-platform
// images built for others; the default only chooses within an index.
type platformWant struct {
	platforms []string
	explicit  bool
}

func (w platformWant) String() string { return strings.Join(w.platforms, ",") }

// matches says whether os/arch/variant is wanted; a wanted platform
// without variant accepts any variant.
func (w platformWant) matches(p ocispec.Platform) bool {
	for _, want := range w.platforms {
		parts := strings.Split(want, "/")
		if parts[0] == p.OS && parts[1] == p.Architecture && (len(parts) < 3 || parts[2] == p.Variant) {
			return true
		}
	}
	return false
}

// tagMetadata reads the tag's manifest: its digest and, when created is
// set, the build time of its images for the wanted platforms. The tag is
// resolved with a HEAD request, which registries such as Docker Hub do
// not count as a pull; what a digest holds never changes, so a digest
// read before is not read again.
func (c *registryClient) tagMetadata(ctx context.Context, path string, a access, tag string, want platformWant, created bool) (tagMeta, error) {
	key := fmt.Sprintf("%s|%s|%s|%s|%t", a.key, path, tag, want, created)
	if m, ok := c.meta.get(key); ok {
		return m, nil
	}
	repo, err := c.repository(path, a)
	if err != nil {
		return tagMeta{}, err
	}
	desc, err := repo.Resolve(ctx, tag)
	if err != nil {
		return tagMeta{}, fmt.Errorf("resolve tag %s: %w", tag, err)
	}
	byDigest := fmt.Sprintf("%s|%s|%s|%s|%t", a.key, path, desc.Digest, want, created)
	m, ok := c.images.get(byDigest)
	if !ok {
		if m, err = inspectManifest(ctx, repo, desc, want, created); err != nil {
			return tagMeta{}, fmt.Errorf("read manifest %s of tag %s: %w", desc.Digest, tag, err)
		}
		c.images.put(byDigest, m)
	}
	c.meta.put(key, m)
	return m, nil
}

// maxManifestSize bounds what is read of a manifest or config.
const maxManifestSize = 4 << 20

// inspectManifest reads the manifest or index desc resolved to.
func inspectManifest(ctx context.Context, repo *remote.Repository, desc ocispec.Descriptor, want platformWant, created bool) (tagMeta, error) {
	if desc.Size > maxManifestSize {
		return tagMeta{}, fmt.Errorf("manifest of %d bytes is too large", desc.Size)
	}
	data, err := content.FetchAll(ctx, repo, desc)
	if err != nil {
		return tagMeta{}, err
	}
	m := tagMeta{Digest: desc.Digest.String()}
	switch desc.MediaType {
	case ocispec.MediaTypeImageIndex, dockerManifestList:
		var index ocispec.Index
		if err := json.Unmarshal(data, &index); err != nil {
			return tagMeta{}, fmt.Errorf("parse index: %w", err)
		}
		for _, child := range index.Manifests {
			if child.Platform == nil || !want.matches(*child.Platform) {
				continue
			}
			m.Match = true
			if !created {
				break
			}
			img, err := imageConfig(ctx, repo, child)
			if err != nil {
				return tagMeta{}, fmt.Errorf("platform %s/%s: %w", child.Platform.OS, child.Platform.Architecture, err)
			}
			if img.Created != nil && img.Created.After(m.Created) {
				m.Created = *img.Created
			}
		}
	case ocispec.MediaTypeImageManifest, dockerManifest:
		m.Match = true
		if !created && !want.explicit {
			break
		}
		img, err := configOf(ctx, repo, data)
		if err != nil {
			return tagMeta{}, err
		}
		if want.explicit && img.OS != "" && !want.matches(img.Platform) {
			m.Match = false
		}
		if img.Created != nil {
			m.Created = *img.Created
		}
	default:
		return tagMeta{}, fmt.Errorf("unsupported manifest type %q", desc.MediaType)
	}
	return m, nil
}

// imageConfig fetches the manifest desc and its image configuration.
func imageConfig(ctx context.Context, repo *remote.Repository, desc ocispec.Descriptor) (ocispec.Image, error) {
	if desc.Size > maxManifestSize {
		return ocispec.Image{}, fmt.Errorf("manifest of %d bytes is too large", desc.Size)
	}
	data, err := content.FetchAll(ctx, repo, desc)
	if err != nil {
		return ocispec.Image{}, err
	}
	return configOf(ctx, repo, data)
}

// configOf fetches the image configuration a manifest points to.
func configOf(ctx context.Context, repo *remote.Repository, manifest []byte) (ocispec.Image, error) {
	var mf ocispec.Manifest
	if err := json.Unmarshal(manifest, &mf); err != nil {
		return ocispec.Image{}, fmt.Errorf("parse manifest: %w", err)
	}
	if mf.Config.Size > maxManifestSize {
		return ocispec.Image{}, fmt.Errorf("config of %d bytes is too large", mf.Config.Size)
	}
	data, err := content.FetchAll(ctx, repo.Blobs(), mf.Config)
	if err != nil {
		return ocispec.Image{}, fmt.Errorf("fetch config %s: %w", mf.Config.Digest, err)
	}
	var img ocispec.Image
	if err := json.Unmarshal(data, &img); err != nil {
		return ocispec.Image{}, fmt.Errorf("parse config %s: %w", mf.Config.Digest, err)
	}
	return img, nil
}
