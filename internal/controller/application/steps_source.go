package application

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/render"
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
	p := &v1alpha1.AppProject{}
	err := r.Client.Get(ctx, types.NamespacedName{Namespace: r.Opts.Namespace, Name: app.Spec.Project}, p)
	if apierrors.IsNotFound(err) && app.Spec.Project == DefaultProject {
		p.Name = DefaultProject
		p.Spec = v1alpha1.AppProjectSpec{
			SourceRepos:              []string{"*"},
			Destinations:             []v1alpha1.ApplicationDestination{{Server: "*", Name: "*", Namespace: "*"}},
			ClusterResourceWhitelist: []metav1.GroupKind{{Group: "*", Kind: "*"}},
		}
		return p, nil
	}
	if err != nil {
		return nil, fmt.Errorf("project %s: %w", app.Spec.Project, err)
	}
	return p, nil
}

func (r *Reconciler) checkProject(ctx context.Context, st *state) error {
	p, err := r.project(ctx, st.app)
	if err != nil {
		return err
	}
	st.project = p
	for _, src := range st.app.Spec.GetSources() {
		if err := permitsSource(p, src.RepoURL); err != nil {
			return err
		}
	}
	return permitsDestination(p, st.app.Spec.Destination, st.target.cluster.Server, st.target.cluster.Name)
}

// renderSources fetches every source and renders them. Any failure leaves
// st.desired empty and stops the pipeline: nothing is applied or pruned
// from a render that did not complete.
func (r *Reconciler) renderSources(ctx context.Context, st *state) error {
	var secrets corev1.SecretList
	if err := r.Client.List(ctx, &secrets, client.InNamespace(r.Opts.Namespace), client.HasLabels{v1alpha1.LabelSecretType}); err != nil {
		return fmt.Errorf("list repository Secrets: %w", err)
	}
	creds := source.NewCredentials(secrets.Items)
	sources := st.app.Spec.GetSources()
	roots := make([]string, len(sources))
	refs := map[string]string{}
	st.revisions = make([]string, len(sources))
	for i, src := range sources {
		repo, ok := creds.Lookup(src.RepoURL, st.app.Spec.Project)
		if !ok {
			repo = source.Repository{URL: src.RepoURL}
		}
		got, err := r.Fetcher.Fetch(ctx, repo, src)
		if err != nil {
			return err
		}
		roots[i], st.revisions[i] = got.Root, got.Revision
		if src.Ref != "" {
			refs[src.Ref] = got.Root
		}
	}
	var desired []*unstructured.Unstructured
	st.sourceType = nil
	for i, src := range sources {
		res, _, err := r.Renders.Render(ctx, render.Request{
			AppName:   st.app.Name,
			Project:   st.app.Spec.Project,
			Source:    src,
			Root:      roots[i],
			Revision:  st.revisions[i],
			Namespace: st.app.Spec.Destination.Namespace,
			Refs:      refs,
			Scope:     st.target.applier.Namespaced,
		})
		if err != nil {
			if len(sources) > 1 {
				return fmt.Errorf("source %d (%s): %w", i+1, source.RedactURL(src.RepoURL), err)
			}
			return err
		}
		st.sourceType = append(st.sourceType, res.Type)
		desired = append(desired, res.Objects...)
	}
	for _, obj := range desired {
		namespaced, _ := st.target.applier.Namespaced(obj.GroupVersionKind())
		if err := permitsResource(st.project, obj, namespaced); err != nil {
			return err
		}
		tracking.Mark(obj, st.app.Name, r.Opts.Tracking)
	}
	st.desired = desired
	return nil
}
