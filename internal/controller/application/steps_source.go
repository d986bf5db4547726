package application

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/desired"
	"github.com/capstan-cd/capstan/internal/project"
	"github.com/capstan-cd/capstan/internal/source"
	"github.com/capstan-cd/capstan/internal/tracking"
)

func (r *Reconciler) resolveDestination(ctx context.Context, st *state) error {
	t, err := r.Clusters.resolve(ctx, r.Client, st.app.Spec.Destination)
	if err != nil {
		return err
	}
	st.target = t
	return nil
}

// project returns the Application's AppProject; "default" allows all when
// it does not exist.
func (r *Reconciler) project(ctx context.Context, app *v1alpha1.Application) (*v1alpha1.AppProject, error) {
	name := app.Spec.Project
	if name == "" {
		name = project.Default
	}
	p := &v1alpha1.AppProject{}
	err := r.Client.Get(ctx, types.NamespacedName{Namespace: r.Opts.Namespace, Name: name}, p)
	if apierrors.IsNotFound(err) && name == project.Default {
		return project.DefaultProject(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("project %s: %w", name, err)
	}
	return p, nil
}

// checkProject checks the Application itself against its project: each
// source's repository and the destination, known by the resolved cluster's
// server and name (so a project listing a server admits an Application
// naming that cluster). Its objects are checked once rendered.
func (r *Reconciler) checkProject(ctx context.Context, st *state) error {
	p, err := r.project(ctx, st.app)
	if err != nil {
		return err
	}
	st.project = p
	for _, src := range st.sources() {
		if err := project.PermitsSource(p, src.RepoURL); err != nil {
			return err
		}
	}
	return project.PermitsDestination(p, st.destination())
}

// destination is where the Application deploys: its resolved cluster, by
// server and name, and namespace.
func (st *state) destination() v1alpha1.ApplicationDestination {
	return v1alpha1.ApplicationDestination{Server: st.target.cluster.Server, Name: st.target.cluster.Name, Namespace: st.app.Spec.Destination.Namespace}
}

// renderSources fetches every source and renders them, the way `capstan
// render` does (see package desired), for the destination as its discovery
// describes it. Any failure leaves st.desired empty and stops the
// pipeline: nothing is applied or pruned from a render that did not
// complete.
func (r *Reconciler) renderSources(ctx context.Context, st *state) error {
	var secrets corev1.SecretList
	if err := r.Client.List(ctx, &secrets, client.InNamespace(r.Opts.Namespace), client.HasLabels{v1alpha1.LabelSecretType}); err != nil {
		return fmt.Errorf("list repository Secrets: %w", err)
	}
	cluster, err := st.target.clusterFacts()
	if err != nil {
		return err
	}
	st.renderedWith = cluster.Discovery
	b := desired.Builder{Fetcher: r.Fetcher, Render: r.Renders.Render, Credentials: source.NewCredentials(secrets.Items), Kustomize: st.settings.Kustomize, Project: st.project}
	if st.refresh == v1alpha1.RefreshTypeHard {
		b.Render = r.Renders.Refresh
	}
	got, err := b.Build(ctx, st.app, st.sources(), cluster)
	if err != nil {
		return err
	}
	st.revisions, st.sourceType = got.Revisions, got.Types
	objs := r.dropExcluded(st, got.Objects)
	// Every object, hooks included, is checked before any is applied or
	// anything pruned: one outside the project fails the whole render.
	if err := project.PermitsObjects(st.project, st.destination(), objs, st.target.applier.Namespaced); err != nil {
		return err
	}
	if err := st.target.manages(objs); err != nil {
		return err
	}
	for _, obj := range objs {
		tracking.Mark(obj, st.app.Name, st.policy)
	}
	st.desired = objs
	return nil
}
