package server

import (
	"net/http"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/internal/appcache"
	"github.com/capstan-cd/capstan/internal/session"
	"github.com/capstan-cd/capstan/internal/settings"
)

// API serves capstan's REST API under /api/v1 with Argo CD's paths and JSON
// shapes. Reads of Applications, AppProjects and Secrets come from Client,
// which in `capstan run` and `capstan server` is the manager's cache-backed
// client: a list never reaches the Kubernetes API server.
type API struct {
	// Namespace is the control-plane namespace.
	Namespace string
	// Client reads from the informer cache and writes to the API server.
	// Handler makes its writes wait until the cache shows them (see
	// readYourWrites), so that a read after a write finds it.
	Client client.Client
	// Cache gives informers for the event stream; nil means none.
	Cache cache.Informers
	// Apps indexes the cache's Applications for lists; nil lists copies
	// through Client.
	Apps *appcache.Index
	// Settings are argocd-cm and its siblings, as last read.
	Settings *settings.Watcher
	// Auth turns a bearer token into a Principal.
	Auth Authenticator
	// Sessions logs local accounts in and keeps their passwords and API
	// tokens; nil means no local accounts.
	Sessions *session.Manager
	// RBAC decides what a Principal may do.
	RBAC Authorizer
	// Webhook serves POST /api/webhook; nil means no webhook.
	Webhook http.Handler
	// Backends reach destination clusters and repositories for the
	// endpoints on an Application's resources and on repositories.
	Backends *Backends

	// streams fans Application changes out to event streams.
	streams streamHub
	// refreshTimeout replaces refreshTimeout when positive (in tests).
	refreshTimeout time.Duration
}

// route is one handler of the API: a Go ServeMux pattern such as
// "GET /api/v1/applications/{name}", and whether it needs a signed-in
// caller. The route table is also the API's reference: /swagger.json and
// docs/api.md are made from it, so each route says what it does and which
// query parameters it reads.
type route struct {
	pattern string
	public  bool
	handle  http.HandlerFunc
	// doc says in one line what the endpoint does.
	doc string
	// query names the query parameters the handler reads.
	query []string
}

// Handler returns the API's HTTP handler.
func (a *API) Handler() http.Handler {
	a.Client = awaitingCache(a.Client)
	mux := http.NewServeMux()
	for _, rt := range a.routes() {
		h := http.Handler(rt.handle)
		if !rt.public {
			h = a.authenticated(h)
		}
		mux.Handle(rt.pattern, h)
	}
	mux.Handle("/api/", http.HandlerFunc(noSuchEndpoint))
	return mux
}

// noSuchEndpoint answers a path the API does not serve.
func noSuchEndpoint(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path)
}

// routes are every route of the API.
func (a *API) routes() []route {
	var all []route
	// Each group of endpoints lists its routes in its own file.
	for _, group := range [][]route{
		a.healthRoutes(),
		a.webhookRoutes(),
		a.applicationRoutes(),
		a.sessionRoutes(),
		a.accountRoutes(),
		a.ssoRoutes(),
		a.appResourceRoutes(), a.projectRoutes(), a.repositoryRoutes(), a.clusterRoutes(), a.settingsRoutes(), a.versionRoutes(),
		a.projectTokenRoutes(),
		a.actionRoutes(),
		a.openAPIRoutes(),
		a.pageRoutes(),
	} {
		all = append(all, group...)
	}
	return all
}

// healthRoutes answer whether the server is up, without a session.
func (a *API) healthRoutes() []route {
	return []route{{pattern: "GET /healthz", public: true, doc: "Answer ok while the server is up", handle: func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	}}}
}

// webhookRoutes take push events from Git hosts; without a Webhook the
// path answers as an unknown one.
func (a *API) webhookRoutes() []route {
	return []route{{pattern: "POST /api/webhook", public: true, doc: "Take a push event from GitHub, GitLab, Bitbucket, Gitea or Gogs and refresh the Applications it concerns", handle: func(w http.ResponseWriter, r *http.Request) {
		if a.Webhook == nil {
			noSuchEndpoint(w, r)
			return
		}
		a.Webhook.ServeHTTP(w, r)
	}}}
}
