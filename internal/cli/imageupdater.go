package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/capstan-cd/capstan/internal/appcache"
	ctrliu "github.com/capstan-cd/capstan/internal/controller/imageupdater"
	"github.com/capstan-cd/capstan/internal/imageupdater"
	"github.com/capstan-cd/capstan/internal/source"
)

// imageUpdaterOptions are the flags of the image updater, alone or inside
// capstan run.
type imageUpdaterOptions struct {
	enabled  bool
	interval time.Duration
	dryRun   bool
	// annotationScripts lets pull-secret annotations name env: and ext:.
	annotationScripts bool
}

// annotationScriptsUsage is the help of the flag that allows env: and ext:
// credentials in annotations.
const annotationScriptsUsage = "let the pull-secret annotation name env: and ext: credentials; off, only registries.conf may, since whoever may annotate an Application would run a program of capstan's machine or read its environment"

func (o *imageUpdaterOptions) bindFlags(fs *pflag.FlagSet) {
	fs.DurationVar(&o.interval, "interval", ctrliu.DefaultInterval, "how often the image updater looks for new images")
	fs.BoolVar(&o.dryRun, "dry-run", false, "find new images and log them, but write nothing back")
	fs.BoolVar(&o.annotationScripts, "annotation-scripts", false, annotationScriptsUsage)
}

// updater builds the image updater on c, committing through git (nil
// refuses the git write-back method).
func (o imageUpdaterOptions) updater(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, c client.Client, namespace string, git imageupdater.Committer) (*ctrliu.Updater, error) {
	if err := registerMetrics(imageupdater.Metrics()...); err != nil {
		return nil, err
	}
	events, err := ctrliu.NewEventRecorder(ctx, cfg, scheme)
	if err != nil {
		return nil, err
	}
	return &ctrliu.Updater{
		Client: c,
		Finder: imageupdater.NewFinder(imageupdater.FinderOptions{Secrets: c, OnRequest: imageupdater.ObserveRegistryRequest, AnnotationScripts: o.annotationScripts}),
		Git:    git,
		Events: events,
		Opts:   ctrliu.Options{Namespace: namespace, Interval: o.interval, DryRun: o.dryRun},
	}, nil
}

// addTo runs the image updater in mgr, on the elected leader. Its cycles
// read the Applications, the ImageUpdaters and its ConfigMap from mgr's
// cache, so that an idle capstan sends the API server nothing; pull
// secrets, which may live outside the namespace mgr caches, and the
// Application a write-back updates are read through its own uncached
// client, which shares mgr's scheme and REST mapper rather than building
// and discovering its own.
func (o imageUpdaterOptions) addTo(ctx context.Context, mgr manager.Manager, cfg *rest.Config, apps *appcache.Index, git imageupdater.Committer) error {
	namespace := apps.Namespace()
	c, err := client.New(cfg, client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
	if err != nil {
		return err
	}
	u, err := o.updater(ctx, cfg, mgr.GetScheme(), c, namespace, git)
	if err != nil {
		return err
	}
	u.Cache, u.Apps = mgr.GetCache(), apps
	return mgr.Add(u)
}

// imageUpdaterCommand is `capstan image-updater` and its plan subcommand.
type imageUpdaterCommand struct {
	server  serverOptions
	updates imageUpdaterOptions
	once    bool
}

func newImageUpdaterCommand() *cobra.Command {
	o := &imageUpdaterCommand{}
	cmd := &cobra.Command{
		Use:   "image-updater",
		Short: "Run the image updater alone: keep Applications' images at the newest version their annotations allow",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd)
		},
	}
	o.bindFlags(cmd.Flags())
	cmd.Flags().BoolVar(&o.once, "once", false, "run one cycle, print what it did, and exit")
	fs := cmd.Flags()
	fs.StringVar(&o.server.metricsAddr, "metrics-bind-address", ":8083", "address of the /metrics endpoint; 0 turns it off")
	fs.BoolVar(&o.server.leaderElect, "leader-elect", true, "elect a leader through a Lease so that only one replica writes back")

	plan := &cobra.Command{
		Use:   "plan",
		Short: "Print the images that would be updated, and how, without writing anything",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.once, o.updates.dryRun = true, true
			return o.run(cmd.Context(), cmd)
		},
	}
	o.bindFlags(plan.Flags())
	cmd.AddCommand(plan)
	return cmd
}

func (o *imageUpdaterCommand) bindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.server.kubeconfig, "kubeconfig", "", "kubeconfig of the cluster (default: in-cluster, then $KUBECONFIG, then ~/.kube/config)")
	fs.StringVar(&o.server.namespace, "namespace", "argocd", "control-plane namespace: Applications, repository Secrets and argocd-image-updater-config are read there")
	fs.StringVar(&o.server.cacheDir, "cache-dir", filepath.Join(os.TempDir(), "capstan"), "directory for caches (throw-away)")
	fs.BoolVar(&o.server.git.AllowFileRepositories, source.FlagAllowFileRepositories, false, "let the git write-back push to file:// and local-path repositories")
	o.updates.bindFlags(fs)
	o.server.log.BindFlags(fs)
}

func (o *imageUpdaterCommand) run(ctx context.Context, cmd *cobra.Command) error {
	logger, err := o.server.log.logger(os.Stderr)
	if err != nil {
		return err
	}
	ctrl.SetLogger(logger)
	klog.SetLogger(logger)
	ctx = ctrl.LoggerInto(ctx, logger)
	limitMemory(ctx, logger.WithName("memory"), memoryLimitRefresh)
	cfg, err := o.server.restConfig()
	if err != nil {
		return fmt.Errorf("find the cluster: %w", err)
	}
	scheme, err := newScheme()
	if err != nil {
		return err
	}
	o.server.git.CacheDir = filepath.Join(o.server.cacheDir, "git")
	git, err := source.NewGit(o.server.git)
	if err != nil {
		return err
	}
	if o.once {
		c, err := client.New(cfg, client.Options{Scheme: scheme})
		if err != nil {
			return err
		}
		u, err := o.updates.updater(ctx, cfg, scheme, c, o.server.namespace, git)
		if err != nil {
			return err
		}
		report, err := u.Cycle(ctx)
		if err != nil {
			return err
		}
		return report.Print(cmd.OutOrStdout(), o.updates.dryRun)
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme,
		MapperProvider:                schemeMappings(scheme),
		Metrics:                       metricsserver.Options{BindAddress: o.server.metricsAddr},
		HealthProbeBindAddress:        "0",
		LeaderElection:                o.server.leaderElect,
		LeaderElectionID:              "capstan-image-updater",
		LeaderElectionNamespace:       o.server.namespace,
		LeaderElectionReleaseOnCancel: true,
		Cache:                         cache.Options{DefaultNamespaces: map[string]cache.Config{o.server.namespace: {}}, DefaultTransform: appcache.Transform(cache.TransformStripManagedFields())},
	})
	if err != nil {
		return err
	}
	if err := o.updates.addTo(ctx, mgr, cfg, appcache.NewIndex(mgr.GetCache(), o.server.namespace), git); err != nil {
		return err
	}
	return mgr.Start(ctx)
}
