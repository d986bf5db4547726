package desired

import (
	"context"
	"fmt"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/project"
	"github.com/capstan-cd/capstan/internal/render"
	"github.com/capstan-cd/capstan/internal/source"
)

// dependencies fetches the chart dependencies the render of req takes from
// Helm repositories and OCI registries, as the sources are fetched: each
// repository checked against the project first, reached with the
// credentials of the repository or repo-creds Secret its URL matches, and
// cached under the identity of those credentials. The render gets the
// pulled charts and reaches no repository itself.
func (b *Builder) dependencies(ctx context.Context, app *v1alpha1.Application, req render.Request) (map[string]string, error) {
	deps, err := render.Dependencies(ctx, req)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(deps))
	for _, d := range deps {
		if b.Project != nil {
			if err := project.PermitsSource(b.Project, d.Repository); err != nil {
				return nil, fmt.Errorf("helm dependency %s: %w", d.Name, err)
			}
		}
		repo, _ := b.Credentials.Lookup(d.Repository, app.Spec.Project)
		got, err := b.Fetcher.Fetch(ctx, repo, v1alpha1.ApplicationSource{RepoURL: d.Repository, Chart: d.Name, TargetRevision: d.Version})
		if err != nil {
			return nil, fmt.Errorf("helm dependency %s %s from %s: %w", d.Name, d.Version, source.RedactURL(d.Repository), err)
		}
		out[d.Key()] = got.Root
	}
	return out, nil
}
