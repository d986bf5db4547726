package application

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/appcache"
	"github.com/capstan-cd/capstan/internal/source"
)

// Refresh looks at every Application a push concerns: the repository's
// cached refs are dropped and the Applications are queued. Those whose
// files the push changed go first; the others (whose status still moves
// to the new revision) follow untouchedDelay later, so that the change a
// push carries is not queued behind a thousand no-op passes. Any replica
// takes webhooks: for the Applications it does not reconcile (it is not
// the leader, or they are in another shard) it asks the replica that does,
// through the refresh annotation. It returns how many
// Applications it refreshed.
func (r *Reconciler) Refresh(ctx context.Context, push source.Push) (int, error) {
	if r.refreshes == nil {
		return 0, errors.New("the Application controller is not set up")
	}
	// The cache's own Applications, not copies: a push concerns every
	// Application of its repository, and the queue, its predicates and
	// requestRefresh only read their metadata and specs.
	apps, err := r.listApps(ctx)
	if err != nil {
		return 0, err
	}
	var touched, untouched, elsewhere []*appcache.Application
	leading := r.leading()
	for _, app := range apps {
		concerned, changed := pushConcerns(push, &app.Spec, app.Annotations)
		switch {
		case !concerned:
		case !leading || !r.selects(app):
			// Reconciled by another replica (the leader, or the leader
			// of the Application's shard), which the annotation reaches.
			elsewhere = append(elsewhere, app)
		case changed:
			touched = append(touched, app)
		default:
			untouched = append(untouched, app)
		}
	}
	for _, app := range elsewhere {
		if err := r.requestRefresh(ctx, client.ObjectKeyFromObject(app)); err != nil {
			return 0, err
		}
	}
	if len(touched)+len(untouched) == 0 {
		return len(elsewhere), nil
	}
	for _, u := range push.URLs {
		r.Fetcher.Git.Invalidate(u)
	}
	for _, app := range touched {
		select {
		case r.refreshes <- event.GenericEvent{Object: app}:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	if len(untouched) > 0 {
		// What waits keeps only what the queue reads (the name, and the
		// destination the shard's predicate reads), not the list: its
		// thousand Applications of about 1 KiB each would stay alive
		// until then, in a push's busiest seconds.
		later := make([]queued, len(untouched))
		for i, app := range untouched {
			later[i] = queued{key: client.ObjectKeyFromObject(app), destination: app.Spec.Destination}
		}
		time.AfterFunc(untouchedDelay, func() {
			for _, q := range later {
				select {
				case r.refreshes <- event.GenericEvent{Object: q.application()}:
				case <-time.After(time.Minute): // the controller stopped
					return
				}
			}
		})
	}
	return len(touched) + len(untouched) + len(elsewhere), nil
}

// queued is an Application waiting to be queued: its key, and its
// destination, which tells its shard.
type queued struct {
	key         client.ObjectKey
	destination v1alpha1.ApplicationDestination
}

// application is the Application the queue and its predicates are given:
// the controller reads the whole one from its cache when it reconciles.
func (q queued) application() *v1alpha1.Application {
	app := &v1alpha1.Application{Spec: v1alpha1.ApplicationSpec{Destination: q.destination}}
	app.Namespace, app.Name = q.key.Namespace, q.key.Name
	return app
}

// untouchedDelay is how long the Applications a push concerns but whose
// files it did not change wait behind those whose files it did.
const untouchedDelay = 2 * time.Second

// pushConcerns reports whether the push moves a source of app, and whether
// it changed files app reads: under a source's path, or under the paths
// of the argocd.argoproj.io/manifest-generate-paths annotation (";"
// separated, relative to the source's path unless they start with "/").
func pushConcerns(push source.Push, spec *v1alpha1.ApplicationSpec, annotations map[string]string) (concerned, changed bool) {
	for _, src := range spec.GetSources() {
		if !push.Concerns(src) {
			continue
		}
		concerned = true
		dirs := []string{src.Path}
		if v, ok := annotations[v1alpha1.AnnotationManifestGeneratePaths]; ok {
			dirs = nil
			for _, p := range strings.Split(v, ";") {
				if p = strings.TrimSpace(p); p == "" {
					continue
				}
				if !strings.HasPrefix(p, "/") {
					p = path.Join(src.Path, p)
				}
				dirs = append(dirs, p)
			}
		}
		if push.Touches(dirs) {
			return true, true
		}
	}
	return concerned, false
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
func (r *Reconciler) requestRefresh(ctx context.Context, app client.ObjectKey) error {
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, v1alpha1.AnnotationRefresh, "normal")
	written := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Namespace: app.Namespace, Name: app.Name}}
	if err := r.Client.Patch(ctx, written, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		return fmt.Errorf("request a refresh of Application %s: %w", app.Name, err)
	}
	return nil
}

// takeRefreshRequest handles the argocd.argoproj.io/refresh annotation: the
// Application's repositories are asked again now. A normal refresh needs
// no more (renders are cached by content). A hard one also asks Helm
// repositories for their charts again, drops what the controller
// concluded about the Application's objects, and builds its renders again
// (see renderSources): nothing cached is trusted. The annotation is
// removed once the pass has written its status (see clearRequests). It
// returns the refresh that was requested, "" for none.
func (r *Reconciler) takeRefreshRequest(app *v1alpha1.Application) string {
	kind, ok := app.Annotations[v1alpha1.AnnotationRefresh]
	if !ok {
		return ""
	}
	for _, src := range app.Spec.GetSources() {
		r.Fetcher.Git.Invalidate(src.RepoURL)
		if kind == v1alpha1.RefreshTypeHard && source.IsChart(src) && r.Fetcher.Charts != nil {
			r.Fetcher.Charts.InvalidateChart(src.RepoURL, src.Chart)
		}
	}
	if kind != v1alpha1.RefreshTypeHard {
		return v1alpha1.RefreshTypeNormal
	}
	r.verdicts.retain(appKey(app), nil)
	return kind
}

// skipReconcile reports whether the Application asks, through the
// argocd.argoproj.io/skip-reconcile annotation, to be left alone: no
// comparison, no sync, no status write, until the annotation is removed
// or set to a false value.
func skipReconcile(app *v1alpha1.Application) bool {
	skip, err := strconv.ParseBool(app.Annotations[v1alpha1.AnnotationSkipReconcile])
	return err == nil && skip
}

// listApps returns the Applications of the controller's namespace, the
// cache's own when the controller has an index of them.
func (r *Reconciler) listApps(ctx context.Context) ([]*appcache.Application, error) {
	if r.Apps != nil {
		apps, _, err := r.Apps.List(ctx)
		return apps, err
	}
	apps, _, err := appcache.ListCopies(ctx, r.Client, r.Opts.Namespace)
	return apps, err
}
