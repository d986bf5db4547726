package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/internal/appcache"
	"github.com/capstan-cd/capstan/internal/rbac"
	"github.com/capstan-cd/capstan/internal/session"
	"github.com/capstan-cd/capstan/internal/settings"
	"github.com/capstan-cd/capstan/internal/testenv"
)

// testServer is the real API over TLS on the package's control plane,
// in a control-plane namespace of its own: reads through an informer
// cache as in `capstan run`, the settings watcher, local accounts and
// sessions.
type testServer struct {
	// Namespace is the server's control-plane namespace.
	Namespace string
	// Client is an uncached admin client of the cluster, to set up and
	// check what the API reads and writes.
	Client client.Client
	// API is the server's API, to reach its parts.
	API *API
	// URL is the server's base URL (https).
	URL string
	// AdminPassword is the admin's initial password.
	AdminPassword string

	http *http.Client
}

// testServerOptions are what a test sets before the server starts.
type testServerOptions struct {
	configMaps map[string]map[string]string
	secret     map[string]string
	passwords  map[string]string
	lockout    session.LockoutPolicy
	authorizer Authorizer
}

// testServerOption sets up something before the server starts.
type testServerOption func(*testServerOptions)

// withConfigMap merges data into a settings ConfigMap (argocd-cm,
// argocd-rbac-cm...) before the server starts.
func withConfigMap(name string, data map[string]string) testServerOption {
	return func(o *testServerOptions) {
		if o.configMaps[name] == nil {
			o.configMaps[name] = map[string]string{}
		}
		maps.Copy(o.configMaps[name], data)
	}
}

// withSecret puts data into argocd-secret before the server starts.
func withSecret(data map[string]string) testServerOption {
	return func(o *testServerOptions) {
		if o.secret == nil {
			o.secret = map[string]string{}
		}
		maps.Copy(o.secret, data)
	}
}

// withAccount adds local account name with capabilities ("login",
// "apiKey" or "apiKey,login") and, when not empty, password.
func withAccount(name, capabilities, password string) testServerOption {
	return func(o *testServerOptions) {
		withConfigMap(settings.ConfigMap, map[string]string{"accounts." + name: capabilities})(o)
		if password != "" {
			o.passwords[name] = password
		}
	}
}

// withLockout sets the login lockout policy.
func withLockout(p session.LockoutPolicy) testServerOption {
	return func(o *testServerOptions) { o.lockout = p }
}

// withAuthorizer replaces the server's authorizer, which is otherwise
// capstan's RBAC over the namespace's argocd-rbac-cm and AppProjects.
func withAuthorizer(a Authorizer) testServerOption {
	return func(o *testServerOptions) { o.authorizer = a }
}

// newTestServer starts an API in a new namespace and stops it at the end
// of the test.
func newTestServer(t *testing.T, opts ...testServerOption) *testServer {
	t.Helper()
	o := testServerOptions{configMaps: map[string]map[string]string{}, passwords: map[string]string{}}
	for _, opt := range opts {
		opt(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	direct := env.Client(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "api-"}}
	if err := direct.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	for name, data := range o.configMaps {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: name}, Data: data}
		if err := direct.Create(ctx, cm); err != nil {
			t.Fatal(err)
		}
	}
	if o.secret != nil {
		sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: session.Secret}, StringData: o.secret}
		if err := direct.Create(ctx, sec); err != nil {
			t.Fatal(err)
		}
	}
	cached, informers := cachedClient(ctx, t, ns.Name)
	sessions := session.New(session.Options{Namespace: ns.Name, Client: cached, Reader: direct, Lockout: o.lockout})
	if err := sessions.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	var initial corev1.Secret
	if err := direct.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: session.InitialAdminSecret}, &initial); err != nil {
		t.Fatal(err)
	}
	admin := string(initial.Data["password"])
	for name, password := range o.passwords {
		if err := sessions.UpdatePassword(ctx, session.Admin, admin, name, password); err != nil {
			t.Fatalf("set the password of %s: %v", name, err)
		}
	}
	watcher, err := settings.Watch(ctx, env.Config(), ns.Name)
	if err != nil {
		t.Fatal(err)
	}
	if o.authorizer == nil {
		o.authorizer = NewAuthorizer(rbac.Watch(ctx, watcher, cached, ns.Name))
	}
	api := &API{
		Namespace: ns.Name,
		Client:    cached,
		Cache:     informers,
		Apps:      appcache.NewIndex(informers, ns.Name),
		Settings:  watcher,
		Auth:      Sessions{Manager: sessions},
		Sessions:  sessions,
		RBAC:      o.authorizer,
	}
	srv := httptest.NewUnstartedServer(api.Handler())
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &testServer{Namespace: ns.Name, Client: direct, API: api, URL: srv.URL, AdminPassword: admin, http: srv.Client()}
}

// cachedClient reads namespace through an informer cache, as the
// manager's client does in `capstan run`, and writes to the API server.
func cachedClient(ctx context.Context, t testing.TB, namespace string) (client.Client, cache.Cache) {
	t.Helper()
	scheme := testenv.Scheme(t)
	c, err := cache.New(env.Config(), cache.Options{
		Scheme:            scheme,
		DefaultNamespaces: map[string]cache.Config{namespace: {}},
		DefaultTransform:  appcache.Transform(cache.TransformStripManagedFields()),
	})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		t.Fatal("the cache did not sync")
	}
	cl, err := client.New(env.Config(), client.Options{Scheme: scheme, Cache: &client.CacheOptions{Reader: c}})
	if err != nil {
		t.Fatal(err)
	}
	return cl, c
}

// login logs user in and returns the session token; it fails the test
// when the login fails.
func (s *testServer) login(t *testing.T, user, password string) string {
	t.Helper()
	resp := s.do(t, "", http.MethodPost, "/api/v1/session", map[string]string{"username": user, "password": password})
	var out struct {
		Token string `json:"token"`
	}
	s.decode(t, resp, http.StatusOK, &out)
	return out.Token
}

// loginAdmin logs the admin in with the initial password.
func (s *testServer) loginAdmin(t *testing.T) string {
	t.Helper()
	return s.login(t, session.Admin, s.AdminPassword)
}

// do sends a request with token as bearer (none when empty). body is
// sent as is when a string or []byte, as JSON otherwise, and not at all
// when nil. The caller closes the response body (decode does).
func (s *testServer) do(t *testing.T, token, method, path string, body any) *http.Response {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// decode checks the status of resp and decodes its JSON body into out
// (when not nil), then closes it.
func (s *testServer) decode(t *testing.T, resp *http.Response, status int, out any) {
	t.Helper()
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", resp.Request.Method, resp.Request.URL.Path, data, err)
		}
	}
}
