package application

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/render"
)

// A normal refresh is served from the render cache (renders are keyed by
// content); a hard one renders again. Each is answered with a new
// reconciledAt, and its annotation is removed.
func TestHardRefreshRendersAgain(t *testing.T) {
	var builds atomic.Int64
	cl, _ := startConfiguredController(t, func(r *Reconciler) {
		r.Renders = render.NewCache(100, render.WithBuild(func(ctx context.Context, req render.Request) (*render.Result, error) {
			builds.Add(1)
			return render.Build(ctx, req)
		}))
	})
	syncedConfigMapApp(t, cl, "hard-refresh")

	refresh := func(kind string) (rendered int64) {
		t.Helper()
		before := builds.Load()
		last := appStatus(t, cl, "hard-refresh").Status.ReconciledAt
		// reconciledAt counts seconds: the answer must fall in a later one.
		waitFor(t, "a new second", func(context.Context) (bool, error) {
			return last == nil || time.Now().Truncate(time.Second).After(last.Time), nil
		})
		updateApp(t, cl, "hard-refresh", func(a *v1alpha1.Application) {
			if a.Annotations == nil {
				a.Annotations = map[string]string{}
			}
			a.Annotations[v1alpha1.AnnotationRefresh] = kind
		})
		waitFor(t, "the "+kind+" refresh to be answered", func(ctx context.Context) (bool, error) {
			a := appStatus(t, cl, "hard-refresh")
			_, pending := a.Annotations[v1alpha1.AnnotationRefresh]
			at := a.Status.ReconciledAt
			return !pending && at != nil && (last == nil || at.After(last.Time)) && a.Status.ObservedAt != nil, nil
		})
		return builds.Load() - before
	}
	if n := refresh(v1alpha1.RefreshTypeNormal); n != 0 {
		t.Errorf("a normal refresh rendered %d times; the render cache should have served it", n)
	}
	if n := refresh(v1alpha1.RefreshTypeHard); n == 0 {
		t.Error("a hard refresh was served from the render cache")
	}
}
