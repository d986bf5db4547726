package cli

import (
	"context"
	"crypto/tls"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// clientOptions are the flags every client command shares: which server,
// as whom, and how to reach it.
type clientOptions struct {
	server     string
	authToken  string
	configPath string
	context    string
	insecure   bool
	plaintext  bool
	grpcWeb    bool
	// core runs the API in this process against the Kubernetes API.
	core bool
	kube kubeOptions
	// getenv reads the environment; tests replace it.
	getenv func(string) string
	// transport, when set, carries every request (tests, --core).
	transport http.RoundTripper
	// cached is the client of the command, made once: with --core, the
	// API in the process starts once.
	cached *apiClient
}

// kubeOptions say how --core reaches Kubernetes.
type kubeOptions struct {
	kubeconfig  string
	kubeContext string
	namespace   string
}

func newClientOptions() *clientOptions { return &clientOptions{getenv: os.Getenv} }

// bindFlags adds the shared flags to a command group, for it and its
// subcommands.
func (o *clientOptions) bindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.server, "server", "", "capstan server address, host:port or a URL (default: the current context; env CAPSTAN_SERVER)")
	fs.StringVar(&o.authToken, "auth-token", "", "bearer token to call the API with (default: the context's session; env CAPSTAN_AUTH_TOKEN)")
	fs.StringVar(&o.configPath, "config", "", "client configuration file (default: $CAPSTAN_CONFIG, else $XDG_CONFIG_HOME/capstan/config, else ~/.config/capstan/config)")
	fs.StringVar(&o.context, "capstan-context", "", "context of the configuration file to use instead of the current one")
	fs.StringVar(&o.context, "argocd-context", "", "the same as --capstan-context")
	_ = fs.MarkHidden("argocd-context")
	fs.BoolVar(&o.insecure, "insecure", false, "do not verify the server's TLS certificate")
	fs.BoolVar(&o.plaintext, "plaintext", false, "talk plain HTTP, without TLS")
	fs.BoolVar(&o.grpcWeb, "grpc-web", false, "accepted for compatibility and ignored: capstan's API is plain HTTP")
	fs.BoolVar(&o.core, "core", false, "talk to Kubernetes directly with the kubeconfig, without a capstan server")
	fs.StringVar(&o.kube.kubeconfig, "kubeconfig", "", "kubeconfig for --core (default: $KUBECONFIG, then ~/.kube/config)")
	fs.StringVar(&o.kube.kubeContext, "kube-context", "", "kubeconfig context for --core")
	fs.StringVar(&o.kube.namespace, "core-namespace", "argocd", "control-plane namespace for --core")
}

// file is the configuration file's path.
func (o *clientOptions) file() (string, error) {
	if o.configPath != "" {
		return o.configPath, nil
	}
	return configPath(o.getenv)
}

// loadConfig reads the configuration file, and returns its path.
func (o *clientOptions) loadConfig() (string, *localConfig, error) {
	path, err := o.file()
	if err != nil {
		return "", nil, err
	}
	cfg, err := readConfig(path)
	return path, cfg, err
}

// endpoint is where to send requests and with which token: the flags and
// the environment first, then the configuration file's context.
type endpoint struct {
	server    string
	token     string
	insecure  bool
	plaintext bool
	core      bool
}

// resolve decides the endpoint from the flags, the environment and cfg.
func (o *clientOptions) resolve(cfg *localConfig) (endpoint, error) {
	e := endpoint{server: o.server, token: o.authToken, insecure: o.insecure, plaintext: o.plaintext, core: o.core}
	if e.server == "" {
		e.server = o.getenv("CAPSTAN_SERVER")
	}
	if e.token == "" {
		e.token = o.getenv("CAPSTAN_AUTH_TOKEN")
	}
	if e.core || (e.server != "" && e.token != "") {
		return e, nil
	}
	_, srv, user, err := cfg.context(o.context)
	if err != nil {
		if e.server != "" {
			// A server without a session: the API answers what needs one.
			return e, nil
		}
		return endpoint{}, err
	}
	if e.server == "" || e.server == srv.Server {
		e.server = srv.Server
		e.insecure = e.insecure || srv.Insecure
		e.plaintext = e.plaintext || srv.PlainText
		e.core = srv.Core
		if e.token == "" {
			e.token = user.AuthToken
		}
	}
	return e, nil
}

// client returns the API client the flags and the configuration file
// describe.
func (o *clientOptions) client(ctx context.Context) (*apiClient, error) {
	if o.cached != nil {
		return o.cached, nil
	}
	c, err := o.newClient(ctx)
	if err == nil {
		o.cached = c
	}
	return c, err
}

func (o *clientOptions) newClient(ctx context.Context) (*apiClient, error) {
	path, cfg, err := o.loadConfig()
	if err != nil {
		return nil, err
	}
	e, err := o.resolve(cfg)
	if err != nil {
		return nil, err
	}
	if e.core {
		return o.coreClient(ctx)
	}
	if e, err = o.renewSSO(ctx, path, cfg, e, time.Now()); err != nil {
		return nil, err
	}
	return o.clientFor(e)
}

// clientFor returns a client of the endpoint e over the network.
func (o *clientOptions) clientFor(e endpoint) (*apiClient, error) {
	base, err := serverURL(e.server, e.plaintext)
	if err != nil {
		return nil, err
	}
	rt := o.transport
	if rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		if e.insecure {
			t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked with --insecure
		}
		rt = t
	}
	// No overall timeout: streams last as long as a wait does, and each
	// command bounds its own context.
	return &apiClient{base: base, token: e.token, http: &http.Client{Transport: rt}}, nil
}

// clientCommand binds the shared flags to a command group.
func clientCommand(o *clientOptions, cmd *cobra.Command) *cobra.Command {
	o.bindFlags(cmd.PersistentFlags())
	return cmd
}

// commandTimeout bounds a command's context when timeout is positive.
func commandTimeout(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, timeout)
}

// runE is a command's RunE that gets the API client first.
func (o *clientOptions) runE(fn func(cmd *cobra.Command, c *apiClient, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		c, err := o.client(cmd.Context())
		if err != nil {
			return err
		}
		return fn(cmd, c, args)
	}
}
