package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	goruntime "runtime"
	"runtime/debug"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	iuv1 "github.com/capstan-cd/capstan/api/imageupdater/v1alpha1"
	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/appcache"
	"github.com/capstan-cd/capstan/internal/controller/application"
	ctrliu "github.com/capstan-cd/capstan/internal/controller/imageupdater"
	"github.com/capstan-cd/capstan/internal/exepages"
	"github.com/capstan-cd/capstan/internal/render"
	"github.com/capstan-cd/capstan/internal/sandbox"
	"github.com/capstan-cd/capstan/internal/server"
	"github.com/capstan-cd/capstan/internal/settings"
	"github.com/capstan-cd/capstan/internal/shard"
	"github.com/capstan-cd/capstan/internal/source"
)

// serverOptions are the flags of the commands that run capstan's
// controllers.
type serverOptions struct {
	profiling   bool
	kubeconfig  string
	namespace   string
	metricsAddr string
	probeAddr   string
	leaderElect bool
	workers     int
	// recordEvents records Events on Applications.
	recordEvents bool
	cacheDir     string
	// api serves the API and the webhook (capstan run only).
	api     apiOptions
	webhook server.WebhookOptions
	git     source.GitOptions
	charts  source.ChartsOptions
	render  sandbox.Options
	log     logOptions
	shard   shard.Options
	// images runs the image updater (capstan run only).
	images imageUpdaterOptions
}

func (o *serverOptions) bindFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig of the cluster capstan runs against (default: in-cluster, then $KUBECONFIG, then ~/.kube/config)")
	fs.StringVar(&o.namespace, "namespace", "argocd", "control-plane namespace: Applications, AppProjects, Secrets and settings are read there")
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", ":8082", "address of the /metrics endpoint; 0 turns it off")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "address of the /healthz and /readyz endpoints")
	fs.BoolVar(&o.leaderElect, "leader-elect", true, "elect a leader through a Lease so that only one replica acts")
	fs.IntVar(&o.workers, "workers", 10, "Applications reconciled in parallel")
	fs.BoolVar(&o.recordEvents, "record-events", true, "record Kubernetes Events on Applications (OperationStarted, ResourceUpdated, OperationCompleted); each is a write to the API server")
	fs.BoolVar(&o.profiling, "profiling", false, "serve Go's profiles (/debug/pprof/) on the metrics address")
	fs.StringVar(&o.cacheDir, "cache-dir", filepath.Join(os.TempDir(), "capstan"), "directory for repository and chart caches (throw-away)")
	o.git.BindFlags(fs)
	o.charts.BindFlags(fs)
	o.render.BindFlags(fs)
	o.log.BindFlags(fs)
	o.shard.BindFlags(fs)
}

func newControllerCommand(use, short string, serve bool) *cobra.Command {
	o := &serverOptions{render: sandbox.DefaultOptions()}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context())
		},
	}
	o.bindFlags(cmd)
	if serve {
		fs := cmd.Flags()
		o.api.bindFlags(fs, "server-address", "address of the API server (and POST /api/webhook); empty turns it off")
		fs.StringVar(&o.api.address, "address", ":8080", "the former name of --server-address")
		_ = fs.MarkDeprecated("address", "use --server-address")
		o.webhook.BindFlags(fs)
		fs.BoolVar(&o.images.enabled, "image-updater", true, "run the image updater, every --image-updater-interval")
		fs.DurationVar(&o.images.interval, "image-updater-interval", ctrliu.DefaultInterval, "how often the image updater looks for new images")
		fs.BoolVar(&o.images.annotationScripts, "image-updater-annotation-scripts", false, annotationScriptsUsage)
	}
	return cmd
}

// restConfig finds the cluster: the flag, then in-cluster, then the
// kubeconfig files ($KUBECONFIG, ~/.kube/config).
func (o *serverOptions) restConfig() (*rest.Config, error) {
	if o.kubeconfig != "" {
		return clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	}
	if cfg, err := rest.InClusterConfig(); err == nil {
		return cfg, nil
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, nil).ClientConfig()
}

// tuneClient sets how the controller talks to the API server of the
// cluster it runs in.
func tuneClient(cfg *rest.Config) {
	// Client-side throttling would make capstan, not the API server, the
	// limit; the server's priority and fairness protects it.
	cfg.QPS, cfg.Burst = -1, 0
	// The API server compresses a watch stream flush by flush, each a
	// gzip stream of its own, when the client accepts gzip: CPU spent
	// on both sides for every event, to save bytes on the short link
	// to the cluster capstan runs in. Remote clusters keep compression.
	cfg.DisableCompression = true
}

// renders is the render cache, rendering in worker processes under the
// render limits unless --render-isolation=none. When the pool keeps a
// worker (--render-workers-kept), that worker starts now, once the
// binary's pages that package initialisation touched are given back: the
// controller is then at its smallest, and the start's burst of memory
// comes on top of nothing else (docs/performance.md, "The first render
// worker started with the controller"). The start is waited for at most
// warmTimeout, so that a worker that does not start delays the health
// probes by no more; it is logged, and each render then says why.
func (o *serverOptions) renders(ctx context.Context) (*render.Cache, error) {
	// The workers live as long as the process.
	renders, pool, err := newRenderPool(o.render, 4096)
	if err != nil || pool == nil || o.render.Keep == 0 {
		return renders, err
	}
	if _, err := exepages.Release(); err != nil {
		ctrl.Log.Error(err, "release the binary's pages before the first render worker starts")
	}
	ctx, cancel := context.WithTimeout(ctx, min(warmTimeout, o.render.Timeout))
	defer cancel()
	if err := pool.Warm(ctx); err != nil {
		ctrl.Log.Error(err, "start the first render worker")
		return renders, nil
	}
	ctrl.Log.Info("render worker ready")
	return renders, nil
}

// warmTimeout bounds the wait for the first render worker at start: a
// worker is ready in a fraction of a second, and the liveness probe of
// the install gives the controller some 40 s.
const warmTimeout = 10 * time.Second

// profiles are the /debug/pprof/ handlers when --profiling asks for them.
func (o *serverOptions) profiles() map[string]http.Handler {
	if !o.profiling {
		return nil
	}
	return map[string]http.Handler{
		"/debug/pprof/":        releasing(pprof.Index),
		"/debug/pprof/cmdline": http.HandlerFunc(pprof.Cmdline),
		"/debug/pprof/profile": releasing(pprof.Profile),
		"/debug/pprof/symbol":  releasing(pprof.Symbol),
		"/debug/pprof/trace":   releasing(pprof.Trace),
	}
}

// servePerAppSeries has /metrics answered by application.MetricsHandler,
// which adds the per-Application series to the registry's. The metrics
// server takes no other handler for its path; a filter wraps each path's
// handler, so this one answers /metrics and lets the others be.
func servePerAppSeries(*rest.Config, *http.Client) (metricsserver.Filter, error) {
	metrics := application.MetricsHandler(ctrlmetrics.Registry)
	return func(_ logr.Logger, next http.Handler) (http.Handler, error) {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/metrics" {
				metrics.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		}), nil
	}, nil
}

// releasing gives back the binary's pages after a profile is written. To
// name the functions in a profile, Go reads the binary's function and line
// tables for every address in it, which maps megabytes of the binary that
// nothing else needs (a heap profile: 6.5 MiB of RssFile): without this,
// measuring the controller's memory would make it larger.
func releasing(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(w, r)
		if _, err := exepages.Release(); err != nil {
			ctrl.Log.Error(err, "release the binary's pages after a profile")
		}
	})
}

func (o *serverOptions) run(ctx context.Context) error {
	cfg, err := o.restConfig()
	if err != nil {
		return fmt.Errorf("find the cluster: %w", err)
	}
	if err := o.log.install(ctx, cfg, o.namespace, "controller"); err != nil {
		return err
	}
	if !o.profiling {
		// Go samples an allocation every 512 KiB for heap profiles that
		// only --profiling serves: each sample unwinds its stack through
		// the binary's function tables, and each new stack is kept for
		// good, with a hash table of 1.4 MiB. Set once, before the
		// controllers allocate (docs/performance.md, "Memory on
		// 2026-12-03: allocation samples and the binary's folios").
		goruntime.MemProfileRate = 0
	}
	if os.Getenv("GOGC") == "" {
		// A long-running controller trades a little CPU for memory: the
		// heap may grow a quarter over what is live, not double
		// (GOGC=100). Against GOGC=50 that lowered capstan's peak at W1
		// from 79.2 to 69.7 MiB in one run, for some 1.5 points more of
		// the cold sync's CPU (docs/performance.md, "the binary read a
		// page at a time, and GOGC=25").
		debug.SetGCPercent(25)
	}
	limitProcs(ctrl.Log.WithName("procs"))
	limitMemory(ctx, ctrl.Log.WithName("memory"), memoryLimitRefresh)
	tuneClient(cfg)
	scheme, err := newScheme()
	if err != nil {
		return err
	}
	hostname, _ := os.Hostname()
	// The shard, known before the settings are read, names the Lease.
	sharding, err := o.shard.Resolve(hostname, "")
	if err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme,
		MapperProvider:                schemeMappings(scheme),
		Metrics:                       metricsserver.Options{BindAddress: o.metricsAddr, ExtraHandlers: o.profiles(), FilterProvider: servePerAppSeries},
		HealthProbeBindAddress:        o.probeAddr,
		LeaderElection:                o.leaderElect,
		LeaderElectionID:              leaseName(sharding),
		LeaderElectionNamespace:       o.namespace,
		LeaderElectionReleaseOnCancel: true,
		Cache:                         cacheOptions(o.namespace),
	})
	if err != nil {
		return err
	}
	watcher, err := settings.Watch(ctrl.LoggerInto(ctx, ctrl.Log), cfg, o.namespace)
	if err != nil {
		return err
	}
	// What builds clients and caches reads its settings once, at start.
	s := watcher.Current()
	if o.git.CacheDir == "" {
		o.git.CacheDir = filepath.Join(o.cacheDir, "git")
	}
	if o.charts.CacheDir == "" {
		o.charts.CacheDir = filepath.Join(o.cacheDir, "charts")
	}
	if o.git.PollInterval == 0 && s.Resync > 0 {
		o.git.PollInterval = s.Resync
	}
	o.git.AllowFileRepositories = o.git.AllowFileRepositories || s.AllowFileRepositories
	// Known hosts and TLS certificates are read at each request, so that
	// an edit of their ConfigMaps applies at once.
	o.git.Trust, o.charts.Trust = watcher, watcher
	o.webhook.RequireSignature = o.webhook.RequireSignature || s.WebhookRequireSignature
	if err := registerMetrics(source.GitMetrics()...); err != nil {
		return err
	}
	git, err := source.NewGit(o.git)
	if err != nil {
		return err
	}
	charts, err := source.NewCharts(o.charts)
	if err != nil {
		return err
	}
	renders, err := o.renders(ctx)
	if err != nil {
		return err
	}
	r := &application.Reconciler{
		Client:   mgr.GetClient(),
		Apps:     appcache.NewIndex(mgr.GetCache(), o.namespace),
		Opts:     application.Options{Namespace: o.namespace, Tracking: s.Tracking.Method},
		Settings: watcher,
		Fetcher:  &source.Fetcher{Git: git, Charts: charts},
		Renders:  renders,
		Clusters: application.NewClusters(ctx, cfg, o.namespace, s.Tracking.Method),
		Clock:    clock.RealClock{},
		Elected:  mgr.Elected(),
	}
	if o.recordEvents {
		if r.Events, err = application.NewEventRecorder(ctx, cfg, scheme); err != nil {
			return err
		}
	}
	// The algorithm may come from argocd-cmd-params-cm, read only now.
	if sharding, err = o.shard.Resolve(hostname, s.Value(settings.CmdParams, shard.ParamAlgorithm)); err != nil {
		return err
	}
	if sharding.Enabled() {
		filter := &shard.Filter{Config: sharding, Namespace: o.namespace, Reader: mgr.GetClient(), Apps: r.Apps}
		r.InShard = filter.Selects(ctrl.LoggerInto(ctx, ctrl.Log.WithName("shard")))
		ctrl.Log.Info("sharding destination clusters", "shard", sharding.Shard, "shards", sharding.Shards, "algorithm", sharding.Algorithm)
	}
	if err := r.SetupWithManager(mgr, o.workers); err != nil {
		return err
	}
	if o.images.enabled {
		if err := o.images.addTo(ctx, mgr, cfg, r.Apps, git); err != nil {
			return err
		}
	}
	if o.api.address != "" {
		// The API renders through the controller's fetcher and render
		// cache: what it shows is what the controller applies.
		backends := &server.Backends{InCluster: cfg, Fetcher: r.Fetcher, Render: renders.Render, Git: git}
		if err := o.api.addAPI(ctx, mgr, r.Apps, watcher, webhookHandler(watcher, r, o.webhook), backends); err != nil {
			return err
		}
	}
	go releaseStartupPages(ctrl.LoggerInto(ctx, ctrl.Log), mgr.GetCache())
	return startWithProbes(ctx, mgr)
}

// releaseStartupPages gives back, once the caches are filled, the pages of
// the binary that only start-up used: package initialisation alone maps
// some 50 MiB of it (docs/performance.md, "Memory on 2026-12-01").
func releaseStartupPages(ctx context.Context, c cache.Cache) {
	if !c.WaitForCacheSync(ctx) {
		return
	}
	released, err := exepages.Release()
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "release the binary's start-up pages")
		return
	}
	ctrl.LoggerFrom(ctx).Info("released the binary's start-up pages", "bytes", released)
}

// startWithProbes answers /healthz and /readyz once mgr runs, and runs it
// until ctx ends.
func startWithProbes(ctx context.Context, mgr manager.Manager) error {
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	return mgr.Start(ctx)
}

// leaseName is the leader Lease: one per shard when clusters are sharded,
// so that a replica standing by for a shard takes it over alone.
func leaseName(c shard.Config) string {
	if !c.Enabled() {
		return "capstan-controller"
	}
	return fmt.Sprintf("capstan-controller-shard-%d", c.Shard)
}

// registerMetrics adds collectors to the /metrics of the controllers; a
// command run again in the same process finds them there already.
func registerMetrics(cs ...prometheus.Collector) error {
	for _, c := range cs {
		var already prometheus.AlreadyRegisteredError
		if err := ctrlmetrics.Registry.Register(c); err != nil && !errors.As(err, &already) {
			return fmt.Errorf("register metrics: %w", err)
		}
	}
	return nil
}

// newScheme knows the built-in kinds and capstan's.
func newScheme() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	// The image updater reads ImageUpdaters from the manager's cache.
	if err := iuv1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	return scheme, nil
}

// cacheOptions read the control-plane namespace into the informer cache.
// Managed fields are a large part of a cached Application and are never
// read from the cache; its status is packed (see appcache).
func cacheOptions(namespace string) cache.Options {
	return cache.Options{DefaultNamespaces: map[string]cache.Config{namespace: {}}, DefaultTransform: appcache.Transform(cache.TransformStripManagedFields())}
}
