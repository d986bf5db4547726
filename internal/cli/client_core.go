package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/appcache"
	"github.com/capstan-cd/capstan/internal/sandbox"
	"github.com/capstan-cd/capstan/internal/server"
	"github.com/capstan-cd/capstan/internal/settings"
)

// coreToken is the token the client of --core sends to the server in its
// own process; nothing outside the process sees either.
const coreToken = "core"

// coreClient runs capstan's API in this process against the Kubernetes
// API, with the kubeconfig's credentials, and returns a client whose
// requests go to it through memory: --core and a remote server share every
// line of a command. The server lives until ctx ends.
func (o *clientOptions) coreClient(ctx context.Context) (*apiClient, error) {
	cfg, err := o.kube.restConfig()
	if err != nil {
		return nil, fmt.Errorf("--core: find the cluster: %w", err)
	}
	// The in-process server's logs are not the command's output.
	ctrllog.SetLogger(logr.Discard())
	api, err := coreAPI(ctx, cfg, o.kube.namespace)
	if err != nil {
		return nil, err
	}
	return &apiClient{
		base:  &url.URL{Scheme: "http", Host: "core"},
		token: coreToken,
		http:  &http.Client{Transport: handlerTransport{api.Handler()}},
	}, nil
}

// restConfig reads the kubeconfig: the flag, then $KUBECONFIG, then
// ~/.kube/config, with the chosen context.
func (k kubeOptions) restConfig() (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = k.kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: k.kubeContext}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
}

// coreAPI is the API over a cache of the control-plane namespace, its
// caller acting as admin: with --core the kubeconfig's own rights are the
// limit, as they are for kubectl.
func coreAPI(ctx context.Context, cfg *rest.Config, namespace string) (*server.API, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	c, err := cluster.New(cfg, func(o *cluster.Options) {
		o.Scheme = scheme
		o.Cache = cache.Options{DefaultNamespaces: map[string]cache.Config{namespace: {}}, DefaultTransform: appcache.Transform(cache.TransformStripManagedFields())}
	})
	if err != nil {
		return nil, fmt.Errorf("--core: %w", err)
	}
	go func() { _ = c.Start(ctx) }()
	watcher, err := settings.Watch(ctx, cfg, namespace)
	if err != nil {
		return nil, fmt.Errorf("--core: read the settings of %s: %w", namespace, err)
	}
	backends, err := coreBackends(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &server.API{
		Namespace: namespace,
		Client:    c.GetClient(),
		Cache:     c.GetCache(),
		Apps:      appcache.NewIndex(c.GetCache(), namespace),
		Settings:  watcher,
		Auth:      coreAdmin{},
		RBAC:      coreAdmin{},
		Backends:  backends,
	}, nil
}

// coreBackends reach the kubeconfig's cluster as the in-cluster
// destination, and fetch and render repositories here, as `capstan
// render` does, so that manifests and diffs work without a server.
func coreBackends(ctx context.Context, cfg *rest.Config) (*server.Backends, error) {
	r := &renderOptions{render: sandbox.DefaultOptions()}
	fetcher, err := r.fetcher()
	if err != nil {
		return nil, fmt.Errorf("--core: %w", err)
	}
	renders, closeRenders, err := newRenderCache(r.render, 64)
	if err != nil {
		return nil, fmt.Errorf("--core: %w", err)
	}
	go func() {
		<-ctx.Done()
		closeRenders()
	}()
	return &server.Backends{InCluster: cfg, Fetcher: fetcher, Render: renders.Render, Git: fetcher.Git}, nil
}

// coreAdmin authenticates the in-process client as admin and allows it
// everything: the Kubernetes API decides what the kubeconfig may do.
type coreAdmin struct{}

func (coreAdmin) Authenticate(_ context.Context, token string) (server.Principal, error) {
	if token != coreToken {
		return server.Principal{}, fmt.Errorf("not the in-process client")
	}
	return server.Principal{Subject: "admin", Issuer: "argocd"}, nil
}

func (coreAdmin) Enforce(context.Context, server.Principal, string, string, string) bool { return true }

// handlerTransport is an http.RoundTripper that serves each request with a
// handler in the same process. The answer streams: its body is read while
// the handler still writes, as the event stream needs.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	pr, pw := io.Pipe()
	// Closing the body ends the handler's request, as a client hanging up
	// ends a server's.
	ctx, cancel := context.WithCancel(req.Context())
	w := &pipeWriter{header: http.Header{}, body: pw, ready: make(chan struct{})}
	w.resp = &http.Response{
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: w.header, Body: hangUp{pr, cancel}, Request: req,
	}
	// A handler reads the request as a server would.
	req = req.Clone(ctx)
	req.RequestURI = req.URL.RequestURI()
	if req.Body == nil {
		req.Body = http.NoBody
	}
	go func() {
		defer func() {
			w.WriteHeader(http.StatusOK)
			_ = pw.Close()
		}()
		t.h.ServeHTTP(w, req)
	}()
	select {
	case <-w.ready:
		return w.resp, nil
	case <-ctx.Done():
		cancel()
		_ = pr.CloseWithError(ctx.Err())
		return nil, ctx.Err()
	}
}

// hangUp is an answer's body whose Close ends the handler's request.
type hangUp struct {
	*io.PipeReader
	cancel context.CancelFunc
}

func (b hangUp) Close() error {
	b.cancel()
	return b.PipeReader.Close()
}

// pipeWriter is the http.ResponseWriter of handlerTransport: the status
// and headers are the response, the body goes through a pipe.
type pipeWriter struct {
	header http.Header
	body   *io.PipeWriter
	resp   *http.Response
	once   sync.Once
	ready  chan struct{}
}

func (w *pipeWriter) Header() http.Header { return w.header }

func (w *pipeWriter) WriteHeader(status int) {
	w.once.Do(func() {
		w.resp.StatusCode = status
		w.resp.Status = fmt.Sprintf("%d %s", status, http.StatusText(status))
		w.resp.Header = w.header.Clone()
		w.resp.ContentLength = -1
		close(w.ready)
	})
}

func (w *pipeWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// Flush lets a streaming handler flush; the pipe has no buffer to empty.
func (w *pipeWriter) Flush() { w.WriteHeader(http.StatusOK) }
