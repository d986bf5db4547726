// Package desired is the one path from an Application to the objects it
// wants in its destination: fetch every source with the credentials that
// match it, render them together (a ref source's files serve the others'
// value files) with the build environment and cluster facts Argo CD gives
// its tools. Helm chart dependencies are fetched here too, like sources,
// and handed to the render, which reaches no repository itself. `capstan render` and the application controller both go
// through it, so that what the CLI prints is what the controller applies.
package desired

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/render"
	"github.com/capstan-cd/capstan/internal/source"
)

// Fetcher checks out one source; *source.Fetcher is one.
type Fetcher interface {
	Fetch(ctx context.Context, repo source.Repository, src v1alpha1.ApplicationSource) (source.Fetched, error)
}

// RenderFunc renders one source: render.Cache's Render, or its Refresh
// for a hard refresh.
type RenderFunc func(ctx context.Context, req render.Request) (*render.Result, bool, error)

// Credentials finds the repository (with its credentials) to use for a
// URL from an Application of a project; *source.Credentials is one.
type Credentials interface {
	Lookup(repoURL, project string) (source.Repository, bool)
}

// Cluster is what a render knows of the destination cluster.
type Cluster struct {
	// KubeVersion and APIVersions are Helm's .Capabilities.KubeVersion
	// and .Capabilities.APIVersions (and $KUBE_VERSION,
	// $KUBE_API_VERSIONS): the destination's in the controller, the
	// flags' in `capstan render`. A source's helm.kubeVersion and
	// helm.apiVersions override them.
	KubeVersion string
	APIVersions []string
	// Scope and Discovery: see render.Request.
	Scope     render.ScopeFunc
	Discovery string
}

// Builder turns Applications into their desired objects.
type Builder struct {
	Fetcher     Fetcher
	Render      RenderFunc
	Credentials Credentials
	// Kustomize are the installation's kustomize build options.
	Kustomize render.KustomizeOptions
	// Project, when set, must permit the repository of every chart
	// dependency, as it does the sources'.
	Project *v1alpha1.AppProject
}

// Desired is what an Application renders to.
type Desired struct {
	// Objects of every source, in the order of the sources.
	Objects []*unstructured.Unstructured
	// Revisions and Types of each source, in the order of the sources.
	Revisions []string
	Types     []v1alpha1.ApplicationSourceType
}

// Build fetches and renders sources, those of app (its spec's, or those a
// sync or rollback names). Any failure returns no objects: nothing is
// applied or pruned from a render that did not complete. An error of a
// multi-source Application names the source.
func (b *Builder) Build(ctx context.Context, app *v1alpha1.Application, sources []v1alpha1.ApplicationSource, cluster Cluster) (*Desired, error) {
	if len(sources) == 0 {
		return nil, errors.New("has no source")
	}
	fetched := make([]source.Fetched, len(sources))
	refs := map[string]string{}
	out := &Desired{Revisions: make([]string, len(sources))}
	for i, src := range sources {
		repo, _ := b.Credentials.Lookup(src.RepoURL, app.Spec.Project)
		got, err := b.Fetcher.Fetch(ctx, repo, src)
		if err != nil {
			return nil, err
		}
		fetched[i], out.Revisions[i] = got, got.Revision
		if src.Ref != "" {
			refs[src.Ref] = got.Root
		}
	}
	for i, src := range sources {
		req := request(app, src, fetched[i].Root, fetched[i].Revision, refs, cluster)
		req.PathHash = fetched[i].PathHash
		req.Kustomize = b.Kustomize
		var err error
		req.Dependencies, err = b.dependencies(ctx, app, req)
		var res *render.Result
		if err == nil {
			res, _, err = b.Render(ctx, req)
		}
		if err != nil {
			if len(sources) > 1 {
				return nil, fmt.Errorf("source %d (%s): %w", i+1, source.RedactURL(src.RepoURL), err)
			}
			return nil, err
		}
		out.Types = append(out.Types, res.Type)
		out.Objects = append(out.Objects, res.Objects...)
	}
	return out, nil
}

// request is the render request for one source of app, checked out at
// root and resolved to revision: the release name and namespace, the
// build environment and the cluster facts Argo CD gives its tools.
func request(app *v1alpha1.Application, src v1alpha1.ApplicationSource, root, revision string, refs map[string]string, cluster Cluster) render.Request {
	return render.Request{
		AppName:     app.Name,
		Project:     app.Spec.Project,
		Source:      src,
		Root:        root,
		Revision:    revision,
		Namespace:   app.Spec.Destination.Namespace,
		KubeVersion: cluster.KubeVersion,
		APIVersions: cluster.APIVersions,
		Refs:        refs,
		Scope:       cluster.Scope,
		Discovery:   cluster.Discovery,
	}
}
