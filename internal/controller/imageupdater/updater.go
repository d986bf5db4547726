// Package imageupdater runs the image updater's loop: every interval, for
// each Application with an image list, it asks the finder which images have
// a newer version and writes them back, by patching the Application or by
// committing to its repository. It orchestrates; the decisions and the
// write-back live in internal/imageupdater.
package imageupdater

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iuv1 "github.com/capstan-cd/capstan/api/imageupdater/v1alpha1"
	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/appcache"
	iu "github.com/capstan-cd/capstan/internal/imageupdater"
)

// DefaultInterval is how often the updater looks for new images.
const DefaultInterval = 2 * time.Minute

// Finder tells which images of an Application have a newer version:
// imageupdater.Finder.
type Finder interface {
	Updates(ctx context.Context, app *v1alpha1.Application) ([]iu.Update, error)
}

// Registries is told the registries.conf read at the start of each cycle:
// imageupdater.Finder.
type Registries interface {
	SetRegistries(conf *iu.RegistriesConf)
}

// EventRecorder records Events on Applications.
type EventRecorder interface {
	AnnotatedEventf(object runtime.Object, annotations map[string]string, eventtype, reason, messageFmt string, args ...any)
}

// Options configure the Updater.
type Options struct {
	// Namespace is the control-plane namespace: Applications, repository
	// Secrets and argocd-image-updater-config are read there.
	Namespace string
	// Interval between cycles; DefaultInterval when zero.
	Interval time.Duration
	// DryRun finds updates and reports them without writing anything.
	DryRun bool
	// Concurrency bounds the Applications whose updates are looked up at
	// once; 10 when zero.
	Concurrency int
}

// Updater is the image updater's loop. Start runs it until its context
// ends; Cycle runs one pass.
type Updater struct {
	Client client.Client
	// Cache, when set, is what each cycle reads the Applications, the
	// ImageUpdaters and argocd-image-updater-config from. In the
	// controller it is the manager's informer cache, so that a cycle costs
	// the API server no request; a write-back still reads its Application
	// through Client. Nil reads everything through Client.
	Cache client.Reader
	// Apps indexes the Applications of Cache, which a cycle then reads
	// without copies; nil reads copies.
	Apps   *appcache.Index
	Finder Finder
	// Git commits the git write-back; nil refuses that method.
	Git iu.Committer
	// Events records Events on Applications; nil records none.
	Events EventRecorder
	Clock  clock.Clock
	Opts   Options

	mu sync.Mutex
	// failures are the consecutive failed commits, by repository and
	// branch, and when the last one happened.
	failures map[string]failure
}

// Start runs a cycle every interval until ctx ends: a manager.Runnable, so
// that only the elected leader writes back.
func (u *Updater) Start(ctx context.Context) error {
	log := logr.FromContextOrDiscard(ctx).WithName("image-updater")
	ctx = logr.NewContext(ctx, log)
	for {
		if _, err := u.Cycle(ctx); err != nil {
			log.Error(err, "image update cycle failed")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-u.clock().After(u.interval()):
		}
	}
}

// Cycle looks for updates of every Application with an image list and,
// unless a dry run, writes them back. The report lists what changed (or
// would change) and what failed; the error is for a cycle that could not
// run at all.
func (u *Updater) Cycle(ctx context.Context) (*Report, error) {
	git, err := u.loadSettings(ctx)
	if err != nil {
		return nil, err
	}
	apps, err := u.listApps(ctx)
	if err != nil {
		return nil, err
	}
	report := u.findUpdates(ctx, apps)
	if u.Opts.DryRun {
		logDryRun(ctx, report)
	} else {
		u.writeBack(ctx, report, git)
	}
	u.record(report)
	return report, nil
}

func (u *Updater) interval() time.Duration {
	if u.Opts.Interval <= 0 {
		return DefaultInterval
	}
	return u.Opts.Interval
}

func (u *Updater) clock() clock.Clock {
	if u.Clock == nil {
		return clock.RealClock{}
	}
	return u.Clock
}

// loadSettings reads registries.conf and the commit settings of
// argocd-image-updater-config afresh, so that an edit applies at the next
// cycle.
func (u *Updater) loadSettings(ctx context.Context) (iu.GitConfig, error) {
	if r, ok := u.Finder.(Registries); ok {
		conf, err := iu.ReadRegistriesConf(ctx, u.reader(), u.Opts.Namespace)
		if err != nil {
			return iu.GitConfig{}, err
		}
		r.SetRegistries(conf)
	}
	return iu.ReadGitConfig(ctx, u.reader(), u.Opts.Namespace)
}

// reader is what a cycle reads its Applications and settings through.
func (u *Updater) reader() client.Reader {
	if u.Cache != nil {
		return u.Cache
	}
	return u.Client
}

// listApps returns the Applications of the namespace to look at: those an
// ImageUpdater selects, with its settings as annotations (or their own, when
// it says useAnnotations), and those with an image-list annotation of their
// own. The first ImageUpdater by name that selects an Application wins.
func (u *Updater) listApps(ctx context.Context) ([]*v1alpha1.Application, error) {
	updaters, err := u.listImageUpdaters(ctx)
	if err != nil {
		return nil, err
	}
	// The cache's own Applications, not copies of them: a copy of each,
	// at every cycle, would be tens of megabytes at 10,000 Applications,
	// most without an image list. Those kept are copied, with their
	// status (see appcache).
	cached, err := u.cachedApps(ctx)
	if err != nil {
		return nil, err
	}
	var apps []*v1alpha1.Application
	for _, c := range cached {
		annotations := c.Annotations
		spec, ref, selected := selecting(updaters, c)
		fromRef := selected && (ref.UseAnnotations == nil || !*ref.UseAnnotations)
		if fromRef {
			annotations = resourceAnnotations(spec, ref)
		}
		if annotations[iu.AnnotationImageList] == "" {
			continue
		}
		app, err := c.Expand()
		if err != nil {
			return nil, err
		}
		if fromRef {
			app = withResourceAnnotations(app, annotations)
		}
		apps = append(apps, app)
	}
	return apps, nil
}

// cachedApps are the Applications of the namespace: the cache's own when
// the Updater has an index of them, else copies read through Client (or
// Cache).
func (u *Updater) cachedApps(ctx context.Context) ([]*appcache.Application, error) {
	if u.Apps != nil {
		apps, _, err := u.Apps.List(ctx)
		return apps, err
	}
	apps, _, err := appcache.ListCopies(ctx, u.reader(), u.Opts.Namespace)
	return apps, err
}

// listImageUpdaters lists the ImageUpdaters of the namespace whose
// Applications are there too; none when the resource is not installed.
func (u *Updater) listImageUpdaters(ctx context.Context) ([]iuv1.ImageUpdater, error) {
	var list iuv1.ImageUpdaterList
	err := u.reader().List(ctx, &list, client.InNamespace(u.Opts.Namespace))
	if meta.IsNoMatchError(err) || runtime.IsNotRegisteredError(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list imageupdaters in %s: %w", u.Opts.Namespace, err)
	}
	out := list.Items[:0]
	for _, r := range list.Items {
		if r.Spec.Namespace == "" || r.Spec.Namespace == u.Opts.Namespace {
			out = append(out, r)
		}
	}
	return out, nil
}

// selecting finds the first ref of the ImageUpdaters that selects app.
func selecting(updaters []iuv1.ImageUpdater, app metav1.Object) (iuv1.ImageUpdaterSpec, iuv1.ApplicationRef, bool) {
	for _, r := range updaters {
		for _, ref := range r.Spec.ApplicationRefs {
			if selects(ref, app) {
				return r.Spec, ref, true
			}
		}
	}
	return iuv1.ImageUpdaterSpec{}, iuv1.ApplicationRef{}, false
}

// logDryRun logs each update a dry run leaves unwritten.
func logDryRun(ctx context.Context, r *Report) {
	log := logr.FromContextOrDiscard(ctx)
	for _, a := range r.Apps {
		for _, up := range a.Updates {
			log.Info("would update image (dry run)", "application", a.Name(), "image", up.Image, "from", up.From, "to", up.Version(), "method", a.WriteBack.Method)
		}
	}
}
