package application

import (
	"context"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/appcache"
	"github.com/capstan-cd/capstan/internal/render"
	"github.com/capstan-cd/capstan/internal/source"
	"github.com/capstan-cd/capstan/internal/testenv"
	"github.com/capstan-cd/capstan/internal/tracking"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }

const controlPlane = "argocd"

// startController runs the Application controller against the test cluster
// until the test ends, with a fast poll so commits are seen quickly.
func startController(t *testing.T) client.Client {
	t.Helper()
	cl, _ := startCountingController(t)
	return cl
}

// requests counts the API requests the controller makes, watches aside.
type requests struct {
	n atomic.Int64
	// writes counts the requests that change something (POST, PUT, PATCH,
	// DELETE), and dryRuns those of them that are dry runs, which writes
	// leaves out; wrote lists the writes, for failure messages.
	writes, dryRuns atomic.Int64
	mu              sync.Mutex
	wrote           []string
	// all lists every request counted in n, for failure messages.
	all []string
	// before, when set, sees each request before it is sent.
	before func(*http.Request)
	http.RoundTripper
}

func (r *requests) RoundTrip(req *http.Request) (*http.Response, error) {
	r.count(req)
	if r.before != nil {
		r.before(req)
	}
	return r.RoundTripper.RoundTrip(req)
}

// through is a transport that counts into r what it sends through rt: a
// second client of the controller (its Event recorder) counted with the
// first.
func (r *requests) through(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		r.count(req)
		return rt.RoundTrip(req)
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

func (r *requests) count(req *http.Request) {
	if req.URL.Query().Get("watch") != "true" {
		r.mu.Lock()
		r.n.Add(1)
		r.all = append(r.all, req.Method+" "+req.URL.RequestURI())
		r.mu.Unlock()
	}
	switch req.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		if req.URL.Query().Has("dryRun") {
			r.dryRuns.Add(1)
			break
		}
		r.writes.Add(1)
		r.mu.Lock()
		r.wrote = append(r.wrote, req.Method+" "+req.URL.Path)
		r.mu.Unlock()
	}
}

// written lists the writes counted so far.
func (r *requests) written() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.wrote...)
}

// since lists the requests made after the first n.
func (r *requests) since(n int64) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.all[min(int(n), len(r.all)):]...)
}

// in lists the requests counted so far whose path is in namespace ns, or
// is ns itself.
func (r *requests) in(ns string) []string {
	var out []string
	for _, req := range r.since(0) {
		_, uri, _ := strings.Cut(req, " ")
		path, _, _ := strings.Cut(uri, "?")
		if strings.Contains(path+"/", "/namespaces/"+ns+"/") {
			out = append(out, req)
		}
	}
	return out
}

// startCountingController is startController, also returning the count of
// API requests the controller makes.
func startCountingController(t *testing.T) (client.Client, *requests) {
	t.Helper()
	return startWrappedController(t, nil)
}

// startWrappedController is startCountingController with the controller's
// client wrapped by wrap (to make some of its writes fail), when not nil.
func startWrappedController(t *testing.T, wrap func(client.Client) client.Client) (client.Client, *requests) {
	t.Helper()
	return startConfiguredController(t, func(r *Reconciler) {
		if wrap != nil {
			r.Client = wrap(r.Client)
		}
	})
}

// startConfiguredController is startCountingController with configure
// applied to the Reconciler before it is set up.
func startConfiguredController(t *testing.T, configure func(*Reconciler)) (client.Client, *requests) {
	t.Helper()
	counter := &requests{}
	return startCountedController(t, counter, configure), counter
}

// startCountedController is startConfiguredController counting into
// counter.
func startCountedController(t *testing.T, counter *requests, configure func(*Reconciler)) client.Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	cfg := env.Config()
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { counter.RoundTripper = rt; return counter })
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:  scheme,
		Metrics: metricsserver.Options{BindAddress: "0"},
		// The controller's cache packs Applications (see appcache).
		Cache: cache.Options{DefaultNamespaces: map[string]cache.Config{controlPlane: {}},
			DefaultTransform: appcache.Transform(cache.TransformStripManagedFields())},
		// Each test runs its own manager, one after the other.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	cl := mgr.GetClient()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: controlPlane}}
	if err := mgr.GetAPIReader().Get(ctx, client.ObjectKeyFromObject(ns), ns); apierrors.IsNotFound(err) {
		direct, _ := client.New(cfg, client.Options{Scheme: scheme})
		if err := direct.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	git, err := source.NewGit(source.GitOptions{CacheDir: t.TempDir(), PollInterval: 500 * time.Millisecond, AllowFileRepositories: true})
	if err != nil {
		t.Fatal(err)
	}
	charts, err := source.NewCharts(source.ChartsOptions{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	r := &Reconciler{
		Client:   cl,
		Apps:     appcache.NewIndex(mgr.GetCache(), controlPlane),
		Opts:     Options{Namespace: controlPlane, Resync: time.Second, Tracking: tracking.MethodAnnotation},
		Fetcher:  &source.Fetcher{Git: git, Charts: charts},
		Renders:  render.NewCache(100),
		Clusters: NewClusters(ctx, cfg, controlPlane, tracking.MethodAnnotation),
		Clock:    clock.RealClock{},
	}
	configure(r)
	if err := r.SetupWithManager(mgr, 4); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			t.Errorf("manager: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return cl
}
