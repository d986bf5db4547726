// Package image builds capstan's container image: one static binary per
// platform, each in a single layer on an empty base, run as a non-root user,
// gathered in a multi-platform OCI index. It needs no container daemon: the
// image is written to any OCI content store (an OCI layout directory, a
// registry) through oras-go.
package image

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
)

// Path is where the binary lives in the image; the entrypoint runs it.
const Path = "/usr/local/bin/capstan"

// WorkerPath is where the render worker's binary lives: beside capstan's,
// where the controller looks for it.
const WorkerPath = "/usr/local/bin/capstan-render"

// User is the numeric user and group the image runs as: not root, and the
// same as distroless's "nonroot", so volume permissions carry over.
const User = "65532:65532"

// Binary is capstan built for one platform.
type Binary struct {
	// OS and Arch are GOOS and GOARCH, such as "linux" and "arm64".
	OS, Arch string
	// File is the path of the static binary (built with CGO_ENABLED=0).
	File string
	// Worker is the path of the static render worker, capstan-render,
	// of the same build.
	Worker string
}

// Options describe the image beyond its binaries.
type Options struct {
	// Version, Revision, Source and Licenses become the OCI labels
	// org.opencontainers.image.version, .revision, .source and .licenses.
	Version, Revision, Source, Licenses string
	// Created is the build time recorded in the config; zero leaves it
	// out, so that the same inputs give the same digests.
	Created time.Time
	// CABundle is a PEM file of root certificates copied to
	// /etc/ssl/certs/ca-certificates.crt, so that capstan can reach
	// repositories over HTTPS; empty leaves it out.
	CABundle string
}

// specsVersion is the schema version of OCI manifests and indexes.
var specsVersion = specs.Versioned{SchemaVersion: 2}

// Labels returns the OCI labels of the image's configuration.
func (o Options) Labels() map[string]string {
	labels := map[string]string{
		ocispec.AnnotationTitle:       "capstan",
		ocispec.AnnotationDescription: "GitOps continuous delivery for Kubernetes",
	}
	for k, v := range map[string]string{
		ocispec.AnnotationVersion:  o.Version,
		ocispec.AnnotationRevision: o.Revision,
		ocispec.AnnotationSource:   o.Source,
		ocispec.AnnotationLicenses: o.Licenses,
	} {
		if v != "" {
			labels[k] = v
		}
	}
	return labels
}

// Build writes one image per binary and an index of them into dst, tags
// the index with tag (unless empty) and returns its descriptor.
func Build(ctx context.Context, dst oras.Target, opts Options, binaries []Binary, tag string) (ocispec.Descriptor, error) {
	if len(binaries) == 0 {
		return ocispec.Descriptor{}, fmt.Errorf("build image: no binaries")
	}
	var caData []byte
	if opts.CABundle != "" {
		var err error
		if caData, err = os.ReadFile(opts.CABundle); err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("read CA bundle: %w", err)
		}
	}
	index := ocispec.Index{
		Versioned:   specsVersion,
		MediaType:   ocispec.MediaTypeImageIndex,
		Annotations: opts.Labels(),
	}
	for _, b := range binaries {
		desc, err := buildOne(ctx, dst, opts, b, caData)
		if err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("build image for %s/%s from %s: %w", b.OS, b.Arch, b.File, err)
		}
		index.Manifests = append(index.Manifests, desc)
	}
	desc, err := pushJSON(ctx, dst, ocispec.MediaTypeImageIndex, index)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("push image index: %w", err)
	}
	if tag != "" {
		if err := dst.Tag(ctx, desc, tag); err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("tag image index %s: %w", tag, err)
		}
	}
	return desc, nil
}

// buildOne pushes the layer, configuration and manifest of one platform's
// image and returns the manifest's descriptor, with its platform.
func buildOne(ctx context.Context, dst oras.Target, opts Options, b Binary, caData []byte) (ocispec.Descriptor, error) {
	if b.Worker == "" {
		return ocispec.Descriptor{}, fmt.Errorf("no render worker (capstan-render) given")
	}
	bin, err := os.ReadFile(b.File)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	worker, err := os.ReadFile(b.Worker)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	l, err := newLayer(bin, worker, caData)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	layerDesc, err := push(ctx, dst, ocispec.MediaTypeImageLayerGzip, l.gzipped)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("push layer: %w", err)
	}
	platform := ocispec.Platform{OS: b.OS, Architecture: b.Arch}
	cfg := ocispec.Image{
		Platform: platform,
		Config: ocispec.ImageConfig{
			User:       User,
			Entrypoint: []string{Path},
			Cmd:        []string{"run"},
			Env:        []string{"PATH=/usr/local/bin", "TMPDIR=/tmp"},
			WorkingDir: "/",
			Labels:     opts.Labels(),
		},
		RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{l.diffID}},
	}
	if !opts.Created.IsZero() {
		created := opts.Created.UTC()
		cfg.Created = &created
	}
	cfgDesc, err := pushJSON(ctx, dst, ocispec.MediaTypeImageConfig, cfg)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("push config: %w", err)
	}
	manifest := ocispec.Manifest{
		Versioned:   specsVersion,
		MediaType:   ocispec.MediaTypeImageManifest,
		Config:      cfgDesc,
		Layers:      []ocispec.Descriptor{layerDesc},
		Annotations: opts.Labels(),
	}
	desc, err := pushJSON(ctx, dst, ocispec.MediaTypeImageManifest, manifest)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("push manifest: %w", err)
	}
	desc.Platform = &platform
	return desc, nil
}

func pushJSON(ctx context.Context, dst oras.Target, mediaType string, v any) (ocispec.Descriptor, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	return push(ctx, dst, mediaType, data)
}

// push stores data unless dst has it already (a rebuild of the same
// inputs, or a layer shared by two images).
func push(ctx context.Context, dst oras.Target, mediaType string, data []byte) (ocispec.Descriptor, error) {
	desc := content.NewDescriptorFromBytes(mediaType, data)
	if ok, err := dst.Exists(ctx, desc); err == nil && ok {
		return desc, nil
	}
	return oras.PushBytes(ctx, dst, mediaType, data)
}
