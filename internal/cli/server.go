package cli

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/capstan-cd/capstan/internal/appcache"
	"github.com/capstan-cd/capstan/internal/controller/application"
	"github.com/capstan-cd/capstan/internal/rbac"
	"github.com/capstan-cd/capstan/internal/server"
	"github.com/capstan-cd/capstan/internal/session"
	"github.com/capstan-cd/capstan/internal/settings"
	"github.com/capstan-cd/capstan/internal/ui"
)

// apiOptions are the flags of the API server.
type apiOptions struct {
	// address serves the API; empty means none.
	address  string
	insecure bool
	lockout  session.LockoutPolicy
}

func (o *apiOptions) bindFlags(fs *pflag.FlagSet, addressFlag, addressUsage string) {
	fs.StringVar(&o.address, addressFlag, ":8080", addressUsage)
	fs.BoolVar(&o.insecure, "insecure", false, "serve the API over plain HTTP (behind a proxy that terminates TLS) instead of HTTPS")
	fs.IntVar(&o.lockout.MaxFailures, "login-max-failures", session.DefaultMaxFailures, "failed logins of one user name, each within --login-failure-window of the one before, that lock the name; a negative value turns the lockout off")
	fs.DurationVar(&o.lockout.Window, "login-failure-window", session.DefaultFailureWindow, "how long a failed login is remembered, and so how long a lock lasts")
}

// addAPI adds the API server, with webhook on its mux, to mgr: it writes
// what a first start needs (server.secretkey, the initial admin password,
// a self-signed certificate unless --insecure) before the manager starts.
func (o apiOptions) addAPI(ctx context.Context, mgr manager.Manager, apps *appcache.Index, watcher *settings.Watcher, webhook http.Handler, backends *server.Backends) error {
	namespace := apps.Namespace()
	sessions := session.New(session.Options{Namespace: namespace, Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Lockout: o.lockout})
	if err := sessions.Bootstrap(ctx); err != nil {
		return fmt.Errorf("first-start secrets: %w", err)
	}
	var tlsConfig *tls.Config
	if !o.insecure {
		if err := server.EnsureCertificate(ctx, mgr.GetClient(), mgr.GetAPIReader(), namespace, time.Now()); err != nil {
			return fmt.Errorf("server certificate: %w", err)
		}
		tlsConfig = (&server.Certificates{Reader: mgr.GetClient(), Namespace: namespace}).TLSConfig()
	}
	api := &server.API{
		Namespace: namespace,
		Client:    mgr.GetClient(),
		Cache:     mgr.GetCache(),
		Apps:      apps,
		Settings:  watcher,
		Auth:      server.Sessions{Manager: sessions},
		Sessions:  sessions,
		RBAC:      server.NewAuthorizer(rbac.Watch(ctx, watcher, mgr.GetClient(), namespace)),
		Webhook:   webhook,
		Backends:  backends,
	}
	// The web UI serves its pages and passes every API path on.
	dashboard, err := ui.New(api.Handler())
	if err != nil {
		return fmt.Errorf("web UI: %w", err)
	}
	return mgr.Add(httpServer(o.address, server.NewAPIServer(dashboard.Handler(), tlsConfig)))
}

// apiServerOptions are the flags of `capstan server`.
type apiServerOptions struct {
	kubeconfig  string
	namespace   string
	probeAddr   string
	metricsAddr string
	api         apiOptions
	webhook     server.WebhookOptions
	log         logOptions
}

func newServerCommand() *cobra.Command {
	o := &apiServerOptions{}
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the API server and the webhook receiver alone, without controllers",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context()) },
	}
	fs := cmd.Flags()
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig of the cluster capstan runs against (default: in-cluster, then $KUBECONFIG, then ~/.kube/config)")
	fs.StringVar(&o.namespace, "namespace", "argocd", "control-plane namespace: Applications, AppProjects, Secrets and settings are read there")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "address of the /healthz and /readyz endpoints")
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", ":8083", "address of the /metrics endpoint; 0 turns it off")
	o.api.bindFlags(fs, "address", "address of the API server (and POST /api/webhook)")
	o.webhook.BindFlags(fs)
	o.log.BindFlags(fs)
	return cmd
}

func (o *apiServerOptions) run(ctx context.Context) error {
	cfg, err := (&serverOptions{kubeconfig: o.kubeconfig}).restConfig()
	if err != nil {
		return fmt.Errorf("find the cluster: %w", err)
	}
	if err := o.log.install(ctx, cfg, o.namespace, "server"); err != nil {
		return err
	}
	limitMemory(ctx, ctrl.Log.WithName("memory"), memoryLimitRefresh)
	scheme, err := newScheme()
	if err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		MapperProvider:         schemeMappings(scheme),
		Metrics:                metricsserver.Options{BindAddress: o.metricsAddr},
		HealthProbeBindAddress: o.probeAddr,
		Cache:                  cacheOptions(o.namespace),
	})
	if err != nil {
		return err
	}
	watcher, err := settings.Watch(ctrl.LoggerInto(ctx, ctrl.Log), cfg, o.namespace)
	if err != nil {
		return err
	}
	o.webhook.RequireSignature = o.webhook.RequireSignature || watcher.Current().WebhookRequireSignature
	apps := appcache.NewIndex(mgr.GetCache(), o.namespace)
	refresher := application.RemoteRefresher{Client: mgr.GetClient(), Apps: apps, Namespace: o.namespace}
	// Alone, the server reaches the clusters but renders nothing: the
	// endpoints that render or read repositories answer 503.
	backends := &server.Backends{InCluster: cfg}
	if err := o.api.addAPI(ctx, mgr, apps, watcher, webhookHandler(watcher, refresher, o.webhook), backends); err != nil {
		return err
	}
	return startWithProbes(ctx, mgr)
}
