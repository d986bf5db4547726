package application

import (
	"context"
	"errors"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/source"
)

// Refresh looks at once at every Application a push concerns: the
// repository's cached refs are dropped and the Applications are queued.
// It returns how many were queued.
func (r *Reconciler) Refresh(ctx context.Context, push source.Push) (int, error) {
	if r.refreshes == nil {
		return 0, errors.New("the Application controller is not running")
	}
	for _, u := range push.URLs {
		r.Fetcher.Git.Invalidate(u)
	}
	var apps v1alpha1.ApplicationList
	if err := r.Client.List(ctx, &apps, client.InNamespace(r.Opts.Namespace)); err != nil {
		return 0, fmt.Errorf("list Applications: %w", err)
	}
	n := 0
	for i := range apps.Items {
		app := &apps.Items[i]
		for _, src := range app.Spec.GetSources() {
			if push.Concerns(src) {
				select {
				case r.refreshes <- event.GenericEvent{Object: app}:
				case <-ctx.Done():
					return n, ctx.Err()
				}
				n++
				break
			}
		}
	}
	return n, nil
}

// takeRefreshRequest handles the argocd.argoproj.io/refresh annotation: the
// Application's repositories are asked again now, and the annotation is
// removed. Renders need no flushing: they are cached by content.
func (r *Reconciler) takeRefreshRequest(ctx context.Context, app *v1alpha1.Application) error {
	if _, ok := app.Annotations[v1alpha1.AnnotationRefresh]; !ok {
		return nil
	}
	for _, src := range app.Spec.GetSources() {
		r.Fetcher.Git.Invalidate(src.RepoURL)
	}
	before := app.DeepCopy()
	delete(app.Annotations, v1alpha1.AnnotationRefresh)
	return r.Client.Patch(ctx, app, client.MergeFrom(before))
}
