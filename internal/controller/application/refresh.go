package application

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/source"
)

// Refresh looks at once at every Application a push concerns: the
// repository's cached refs are dropped and the Applications are queued.
// A replica that is not the leader (any replica takes webhooks) asks the
// leader instead, through the refresh annotation. It returns how many
// Applications it refreshed.
func (r *Reconciler) Refresh(ctx context.Context, push source.Push) (int, error) {
	if r.refreshes == nil {
		return 0, errors.New("the Application controller is not set up")
	}
	leading := r.leading()
	if leading {
		for _, u := range push.URLs {
			r.Fetcher.Git.Invalidate(u)
		}
	}
	var apps v1alpha1.ApplicationList
	if err := r.Client.List(ctx, &apps, client.InNamespace(r.Opts.Namespace)); err != nil {
		return 0, fmt.Errorf("list Applications: %w", err)
	}
	n := 0
	for i := range apps.Items {
		app := &apps.Items[i]
		for _, src := range app.Spec.GetSources() {
			if !push.Concerns(src) {
				continue
			}
			if !leading {
				if err := r.requestRefresh(ctx, app); err != nil {
					return n, err
				}
				n++
				break
			}
			select {
			case r.refreshes <- event.GenericEvent{Object: app}:
			case <-ctx.Done():
				return n, ctx.Err()
			}
			n++
			break
		}
	}
	return n, nil
}

// leading reports whether this replica is the elected leader; without
// leader election it always is.
func (r *Reconciler) leading() bool {
	if r.Elected == nil {
		return true
	}
	select {
	case <-r.Elected:
		return true
	default:
		return false
	}
}

// requestRefresh sets the refresh annotation, which the leader acts on and
// removes.
func (r *Reconciler) requestRefresh(ctx context.Context, app *v1alpha1.Application) error {
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, v1alpha1.AnnotationRefresh, "normal")
	if err := r.Client.Patch(ctx, app, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		return fmt.Errorf("request a refresh of Application %s: %w", app.Name, err)
	}
	return nil
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
