package image

import (
	"context"
	"fmt"
	"net/http"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// Remote says how to reach a registry.
type Remote struct {
	// PlainHTTP talks HTTP rather than HTTPS (a local registry).
	PlainHTTP bool
	// Username and Password log in with basic auth, when set.
	Username, Password string
}

// Repository opens the repository of ref ("host/path:tag") for reading
// and writing.
func (r Remote) Repository(ref string) (*remote.Repository, error) {
	repo, err := remote.NewRepository(ref)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", ref, err)
	}
	repo.PlainHTTP = r.PlainHTTP
	client := &auth.Client{Client: &http.Client{Transport: retry.NewTransport(http.DefaultTransport)}, Cache: auth.NewCache()}
	if r.Username != "" {
		client.Credential = auth.StaticCredential(repo.Reference.Registry, auth.Credential{Username: r.Username, Password: r.Password})
	}
	repo.Client = client
	return repo, nil
}

// Push copies the image tagged tag in src, with every platform's image, to
// the registry reference ref.
func Push(ctx context.Context, src oras.ReadOnlyTarget, tag, ref string, r Remote) (ocispec.Descriptor, error) {
	repo, err := r.Repository(ref)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	dstTag := repo.Reference.Reference
	if dstTag == "" {
		dstTag = tag
	}
	desc, err := oras.Copy(ctx, src, tag, repo, dstTag, oras.DefaultCopyOptions)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("push image to %s: %w", ref, err)
	}
	return desc, nil
}
